"""The PXE's transaction methods (docs/pxe-jsonrpc.md): authwits, sends, the two-step send, the call limit
and receipts, over the JSON-RPC transport. PxeClient (client.py) adds the reads.

Retries: a send that may have reached the PXE is never retried (`pxe_sendTx`, `pxe_proveTx`: a lost answer
is resolved from the receipt, or leaves a proven transaction nobody sends); `pxe_sendProvenTx` is, because
sending a kept transaction twice is harmless (the node knows it).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from shared.pxe.errors import PxeError
from shared.pxe.fields import normalize_address, to_field
from shared.pxe.jsonrpc import JsonRpc, as_int

FINAL_STATUSES = frozenset({"success", "reverted", "dropped"})


@dataclass(frozen=True)
class Call:
    name: str
    to: str
    args: list[str]  # already field strings

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "to": self.to, "args": list(self.args)}


@dataclass(frozen=True)
class TxReceipt:
    status: str  # pending | success | reverted | dropped
    error: str | None = None
    block_number: int | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class TxMethods(JsonRpc):
    def __init__(self, url: str, *, send_timeout: float | None = None, **transport: Any) -> None:
        super().__init__(url, **transport)
        self.send_timeout = send_timeout  # None: the client's timeout; a real PXE proves before it answers
        self._max_calls: int | None = None  # pxe_getTxLimits, asked once

    async def create_authwit(self, from_: str, caller: str, call: Call) -> dict[str, Any]:
        authwit: dict[str, Any] = await self.call("pxe_createAuthWit", _authwit_params(from_, caller, call))
        return authwit

    async def create_authwits(self, from_: str, intents: list[tuple[str, Call]]) -> list[dict[str, Any] | PxeError]:
        """One authwit per (caller, call), in one batch; a PxeError in place of each that failed."""
        return await self.call_many([("pxe_createAuthWit", _authwit_params(from_, caller, call)) for caller, call in intents])

    async def send_tx(self, calls: list[Call], authwits: list[dict[str, Any]], from_: str) -> str:
        """Submits a transaction; never retried (a lost answer is resolved from the receipt)."""
        return _tx_hash(await self.call("pxe_sendTx", _send_params(calls, authwits, from_), retry=False,
                                        timeout=self.send_timeout))

    async def send_txs(self, txs: list[tuple[list[Call], list[dict[str, Any]]]], from_: str) -> list[str | PxeError]:
        """Several transactions in one batch; never retried. Per transaction its hash or its PxeError."""
        answers = await self.call_many([("pxe_sendTx", _send_params(calls, authwits, from_)) for calls, authwits in txs],
                                       timeout=self.send_timeout)
        return [_settled_hash(a) for a in answers]

    async def prove_tx(self, calls: list[Call], authwits: list[dict[str, Any]], from_: str) -> str:
        """pxe_proveTx: simulated (a revert raises PxeReverted and nothing is kept), proven and kept by the PXE,
        not sent; its hash, to be recorded before pxe_sendProvenTx. Never retried."""
        return _tx_hash(await self.call("pxe_proveTx", _send_params(calls, authwits, from_), retry=False,
                                        timeout=self.send_timeout), "pxe_proveTx")

    async def send_proven_tx(self, tx_hash: str) -> str:
        """pxe_sendProvenTx: a kept transaction to the node; PxeInvalidInput when none is kept by that hash."""
        return _tx_hash(await self.call("pxe_sendProvenTx", [to_field(tx_hash)]), "pxe_sendProvenTx")

    async def tx_limits(self, fresh: bool = False) -> int:
        """pxe_getTxLimits' maxCallsPerTx: asked once, then kept (asked again when `fresh`)."""
        if self._max_calls is None or fresh:
            result = await self.call("pxe_getTxLimits", [])
            value = result.get("maxCallsPerTx") if isinstance(result, dict) else None
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise PxeError("PXE answered pxe_getTxLimits without a positive maxCallsPerTx")
            self._max_calls = value
        return self._max_calls

    async def get_tx_receipt(self, tx_hash: str) -> TxReceipt:
        result = await self.call("node_getTxReceipt", [to_field(tx_hash)])
        if not isinstance(result, dict) or not isinstance(result.get("status"), str):
            raise PxeError("PXE answered node_getTxReceipt without a status")
        block = result.get("blockNumber")
        return TxReceipt(result["status"].lower(), result.get("error") or None, None if block is None else as_int(block))

    async def wait_for_receipt(self, tx_hash: str, *, timeout: float = 60.0, poll_interval: float = 0.5) -> TxReceipt:
        """Polls until the receipt is final and returns it; TimeoutError if it is still pending."""
        deadline = time.monotonic() + timeout
        while True:
            receipt = await self.get_tx_receipt(tx_hash)
            if receipt.is_final:
                return receipt
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"transaction {tx_hash} still {receipt.status} after {timeout}s")
            await asyncio.sleep(min(poll_interval, remaining))


def _authwit_params(from_: str, caller: str, call: Call) -> list[Any]:
    return [normalize_address(from_), {"caller": normalize_address(caller), "call": call.to_json()}]


def _send_params(calls: list[Call], authwits: list[dict[str, Any]], from_: str) -> list[Any]:
    return [{"calls": [c.to_json() for c in calls], "authWitnesses": list(authwits)}, {"from": normalize_address(from_)}]


def _tx_hash(result: Any, method: str = "pxe_sendTx") -> str:
    """The hash a send answered; PxeError when it is not a field element (the send may still have run)."""
    try:
        return to_field(str(result.get("txHash") if isinstance(result, dict) else result))
    except ValueError:
        raise PxeError(f"PXE answered {method} with a malformed transaction hash") from None


def _settled_hash(answer: Any) -> str | PxeError:
    try:
        return answer if isinstance(answer, PxeError) else _tx_hash(answer)
    except PxeError as exc:
        return exc
