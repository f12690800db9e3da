"""An async client for an Aztec PXE and the lending protocol's utility reads (docs/pxe-jsonrpc.md).

The JSON-RPC transport is shared.pxe.jsonrpc, the transaction methods shared.pxe.txs. Reads are retried
with backoff when the PXE is unreachable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from shared.protocols import ReadShapes, reference
from shared.pxe.errors import PxeError
from shared.pxe.fields import from_field, normalize_address, to_field
from shared.pxe.jsonrpc import as_int
from shared.pxe.notes import Notes, UniqueNote, notes_of_fields, settled_notes, unique_notes
from shared.pxe.token_symbol import read_token_symbol
from shared.pxe.txs import FINAL_STATUSES, Call, TxMethods, TxReceipt

__all__ = ["FINAL_STATUSES", "Call", "Notes", "PoolConfig", "PxeClient", "TxReceipt", "UniqueNote"]


@dataclass(frozen=True)
class PoolConfig:
    collateral_token: str
    debt_token: str
    max_ltv: int  # both in the protocol's threshold base (basis points, or 10^5 for nocom-v1)
    liquidation_threshold: int


class PxeClient(TxMethods):
    """The PXE's node and pxe_ methods and the lending protocol's reads, over the JSON-RPC transport.

    `reads` says where the protocol's contracts put what the monitor reads (shared.protocols).
    """

    def __init__(self, url: str, *, reads: ReadShapes = reference.READS, **transport: Any) -> None:
        super().__init__(url, **transport)  # send_timeout among them (shared.pxe.txs)
        self.reads = reads

    async def status(self) -> bool:
        """GET /status answers OK; never raises."""
        try:
            response = await self._http.get(f"{self.url}/status")
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and response.text.strip().strip('"') == "OK"

    # --- node and PXE methods ---------------------------------------------------------------

    async def is_ready(self) -> bool:
        """node_isReady, answered at once (a health probe): False when the PXE is down or not ready."""
        try:
            return bool(await self.call("node_isReady", [], retry=False))
        except PxeError:
            return False

    async def block_number(self) -> int:
        return as_int(await self.call("node_getBlockNumber", []))

    async def public_storage(self, contract: str, slots: list[int]) -> list[int | PxeError]:
        """The node's public storage words at the latest block, one JSON-RPC batch: no PXE job, so a read
        never waits behind a proof. Per slot its word, or the PxeError of that read."""
        address = normalize_address(contract)
        answers = await self.call_many([("node_getPublicStorageAt", ["latest", address, to_field(slot)]) for slot in slots])
        return [_word(answer) for answer in answers]

    async def register_account(self, secret_key: str) -> str:
        result = await self.call("pxe_registerAccount", [to_field(secret_key)])
        address = result.get("address") if isinstance(result, dict) else result
        return normalize_address(str(address))

    async def register_contract(self, instance: dict[str, Any], secret_key: str | None = None) -> None:
        registration: dict[str, Any] = {"instance": instance}
        if secret_key is not None:
            registration["secretKey"] = to_field(secret_key)
        await self.call("pxe_registerContract", [registration])

    async def simulate_utility(
        self,
        function: str,
        args: list[int | str],
        to: str,
        *,
        authwits: list[Any] | None = None,
        from_: str | None = None,
    ) -> list[int]:
        result = await self.call("pxe_simulateUtility", _utility_params(function, args, to, authwits, from_))
        return _fields_of(function, result)

    # --- the lending protocol's utility functions -------------------------------------------

    async def sync_private_state(self, escrow: str) -> None:
        await self.simulate_utility("sync_private_state", [], escrow)

    async def escrow_pool(self, escrow: str) -> str:
        shapes = self.reads
        values = await self._fields("get_config", [], escrow, shapes.escrow_config_fields)
        return to_field(values[shapes.escrow_pool_index])

    async def pool_config(self, pool: str) -> PoolConfig:
        s = self.reads
        values = await self._fields("get_config", [], pool, s.pool_config_fields)
        return PoolConfig(to_field(values[s.pool_collateral_index]), to_field(values[s.pool_debt_index]),
                          values[s.pool_max_ltv_index], values[s.pool_threshold_index])

    async def token_symbol(self, token: str) -> str:
        """Either token flavour: `symbol()` (aztec-standards) or `public_get_symbol()` (Aztec's): token_symbol.py."""
        return await read_token_symbol(self, token)

    async def private_balance(self, token: str, owner: str) -> int:
        (amount,) = await self._fields("balance_of_private", [normalize_address(owner)], token, 1)
        return amount

    async def collateral_and_debt(self, pool: str, escrow: str) -> Notes:
        return notes_of_fields(await self._fields("get_collateral_and_debt", [normalize_address(escrow)], pool, 7))

    async def notes_many(self, escrows: list[tuple[str, str]]) -> list[Notes | PxeError]:
        """Each (escrow, pool)'s private state synced, then its notes read: two JSON-RPC batches in all,
        the syncs before the reads (a PXE may run one batch's calls at once). Per escrow its notes or error.
        PxeUnreachable when a batch as a whole got no answer."""
        syncs = await self.call_many([("pxe_simulateUtility", _utility_params("sync_private_state", [], e, None, None))
                                      for e, _ in escrows])
        wanted = [i for i, answer in enumerate(syncs) if not isinstance(answer, PxeError)]
        reads = await self.call_many([("pxe_simulateUtility", _utility_params(
            "get_collateral_and_debt", [normalize_address(escrows[i][0])], escrows[i][1], None, None)) for i in wanted])
        out: list[Notes | PxeError] = list(syncs)
        for i, answer in zip(wanted, reads, strict=True):
            out[i] = answer if isinstance(answer, PxeError) else settled_notes(answer)
        return out

    async def register_sender(self, address: str) -> None:
        """pxe_registerSender: the PXE then finds the notes this address sends (an escrow's owner, its pool)."""
        await self.call("pxe_registerSender", [normalize_address(address)])

    async def register_senders(self, addresses: list[str]) -> list[PxeError | None]:
        """Several senders in one batch (registering one twice is harmless); per address None or its PxeError."""
        answers = await self.call_many([("pxe_registerSender", [normalize_address(a)]) for a in addresses])
        return [answer if isinstance(answer, PxeError) else None for answer in answers]

    async def get_notes(self, contract: str, *, storage_slot: int | None = None,
                        scopes: list[str] | None = None) -> list[UniqueNote]:
        """pxe_getNotes: the contract's notes in the PXE's note store (after one sync of its private state),
        of the recipients in `scopes` when given. PxeMethodNotFound from a PXE that does not have it."""
        query: dict[str, Any] = {"contractAddress": normalize_address(contract)}
        if storage_slot is not None:
            query["storageSlot"] = to_field(storage_slot)
        if scopes is not None:
            query["scopes"] = [normalize_address(a) for a in scopes]
        return unique_notes(await self.call("pxe_getNotes", [query]))

    async def simulate_view(self, function: str, args: list[int | str], to: str, *, from_: str | None = None) -> list[int]:
        """A public #[view] function at the latest block (docs/pxe-jsonrpc.md), its result flattened."""
        params: list[Any] = [function, [to_field(a) for a in args], normalize_address(to)]
        if from_ is not None:
            params.append(normalize_address(from_))
        result = await self.call("pxe_simulateView", params)
        values = result.get("result") if isinstance(result, dict) else result
        if not isinstance(values, list):
            raise PxeError(f"PXE answered {function} without a result array")
        return [from_field(v) for v in values]

    async def _fields(self, function: str, args: list[int | str], to: str, count: int) -> list[int]:
        values = await self.simulate_utility(function, args, to)
        if len(values) < count:
            raise PxeError(f"PXE answered {function} with {len(values)} fields, expected {count}")
        return values[:count]


def _utility_params(function: str, args: list[int | str], to: str, authwits: list[Any] | None, from_: str | None) -> list[Any]:
    params: list[Any] = [function, [to_field(a) for a in args], normalize_address(to), authwits or []]
    if from_ is not None:
        params.append(normalize_address(from_))
    return params


def _fields_of(function: str, result: Any) -> list[int]:
    values = result.get("result") if isinstance(result, dict) else result
    if not isinstance(values, list):
        raise PxeError(f"PXE answered {function} without a result array")
    return [from_field(v) for v in values]




def _word(answer: Any) -> int | PxeError:
    if isinstance(answer, PxeError):
        return answer
    try:
        return from_field(str(answer))
    except ValueError:
        return PxeError("PXE answered node_getPublicStorageAt with something that is not a field")
