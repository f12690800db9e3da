"""An async JSON-RPC client for an Aztec PXE and the lending protocol's utility reads (SPEC section 6).

Reads are retried with backoff when the PXE is unreachable; `pxe_sendTx` never is, because a
timed-out send may still have reached the PXE: the caller resolves it from the receipt.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import ssl
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import certifi
import httpx

from shared.pxe.errors import PxeError, PxeInvalidInput, PxeMethodNotFound, PxeReverted, PxeUnreachable
from shared.pxe.fields import field_to_symbol, from_field, normalize_address, to_field
from shared.retry import RetriesExhausted
from shared.retry import retry as retry_call

METHOD_NOT_FOUND = -32601
INVALID_INPUT = -32701
EXECUTION_ERROR = -32702

FINAL_STATUSES = frozenset({"success", "reverted", "dropped"})

# httpcore's pool scans every connection for each idle one on each request (quadratic in the pool
# size); at 64 connections that costs milliseconds of CPU per call. Small pools side-step it.
CONNECTIONS_PER_SHARD = 8


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


@dataclass(frozen=True)
class PoolConfig:
    collateral_token: str
    debt_token: str
    max_ltv_bps: int
    liquidation_threshold_bps: int


@dataclass(frozen=True)
class Notes:
    """An escrow's collateral note and loan note, as the pool's get_collateral_and_debt returns them."""

    collateral_amount: int
    debt_principal: int
    debt_epoch: int
    collateral_owner: str = ""
    collateral_randomness: str = ""
    debt_owner: str = ""
    debt_randomness: str = ""


class PxeClient:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        read_attempts: int = 3,
        backoff: float = 0.2,
        client: httpx.AsyncClient | None = None,
        max_connections: int = 64,
    ) -> None:
        self.url = url.rstrip("/")
        self.read_attempts = max(1, read_attempts)
        self.backoff = backoff
        self._owns_clients = client is None
        if client is not None:
            self._clients = [client]
        else:
            shards = max(1, -(-max_connections // CONNECTIONS_PER_SHARD))
            per_shard = -(-max_connections // shards)
            tls = ssl.create_default_context(cafile=certifi.where())  # loaded once, shared by the shards
            self._clients = [
                httpx.AsyncClient(
                    timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
                    limits=httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard),
                    verify=tls,
                )
                for _ in range(shards)
            ]
        self._next_client = itertools.cycle(self._clients)
        self._ids = itertools.count(1)
        self._batches_supported: bool | None = None  # learnt from the first batch

    @property
    def _http(self) -> httpx.AsyncClient:
        return next(self._next_client)

    async def close(self) -> None:
        if self._owns_clients:
            for http in self._clients:
                await http.aclose()

    async def __aenter__(self) -> "PxeClient":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # --- transport -------------------------------------------------------------------------

    async def status(self) -> bool:
        """GET /status answers OK; never raises."""
        try:
            response = await self._http.get(f"{self.url}/status")
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and response.text.strip().strip('"') == "OK"

    async def call(self, method: str, params: list, *, retry: bool = True) -> Any:
        """A raw JSON-RPC call; retried on PxeUnreachable only, and only when `retry`."""
        try:
            return await retry_call(lambda: self._call_once(method, params), attempts=self.read_attempts if retry else 1,
                                    backoff=self.backoff, retry_on=(PxeUnreachable,))
        except RetriesExhausted as exc:
            raise exc.last from None  # type: ignore[misc]

    async def _call_once(self, method: str, params: list) -> Any:
        request_id = next(self._ids)
        payload = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        try:
            response = await self._http.post(f"{self.url}/", json=payload)
        except httpx.TimeoutException:
            raise PxeUnreachable(f"PXE timed out on {method}") from None
        except httpx.HTTPError as exc:
            raise PxeUnreachable(f"PXE unreachable on {method}: {type(exc).__name__}") from None
        if response.status_code >= 500:
            raise PxeUnreachable(f"PXE answered HTTP {response.status_code} on {method}")
        try:
            body = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise PxeUnreachable(f"PXE answered {method} with a body that is not JSON") from None
        if not isinstance(body, dict) or ("result" not in body and "error" not in body):
            raise PxeUnreachable(f"PXE answered {method} with a body that is not JSON-RPC")
        if body.get("error") is not None:
            raise rpc_error(body["error"], method)
        return body["result"]

    async def call_many(self, requests: list[tuple[str, list]]) -> list[Any]:
        """Several calls in one JSON-RPC 2.0 batch: per call its result, or the PxeError it raised.

        Never retried: a batch may carry sends. A PXE that refuses batches (it answers the array
        with a single error, so none of it ran) gets the calls one by one, concurrently, from then on.
        A transport failure raises PxeUnreachable: the caller cannot know what ran.
        """
        if not requests:
            return []
        if self._batches_supported is not False:
            answers = await self._batch_once(requests)
            self._batches_supported = answers is not None
            if answers is not None:
                return answers
        return list(await asyncio.gather(*(_settled(self._call_once(m, p)) for m, p in requests)))

    async def _batch_once(self, requests: list[tuple[str, list]]) -> list[Any] | None:
        ids = [next(self._ids) for _ in requests]
        payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in zip(ids, requests, strict=True)]
        methods = ",".join(sorted({m for m, _ in requests}))
        try:
            response = await self._http.post(f"{self.url}/", json=payload)
            body = json.loads(response.content, parse_float=Decimal)
        except httpx.TimeoutException:
            raise PxeUnreachable(f"PXE timed out on a batch of {methods}") from None
        except httpx.HTTPError as exc:
            raise PxeUnreachable(f"PXE unreachable on a batch of {methods}: {type(exc).__name__}") from None
        except ValueError:
            raise PxeUnreachable(f"PXE answered a batch of {methods} with a body that is not JSON") from None
        if isinstance(body, dict) and body.get("error") is not None and response.status_code < 500:
            return None  # batches refused as a whole: nothing ran
        if not isinstance(body, list):
            raise PxeUnreachable(f"PXE answered a batch of {methods} with HTTP {response.status_code}")
        by_id = {item.get("id"): item for item in body if isinstance(item, dict)}
        answers: list[Any] = []
        for request_id, (method, _params) in zip(ids, requests, strict=True):
            item = by_id.get(request_id)
            if item is None:
                answers.append(PxeError(f"PXE left {method} out of its batch answer"))
            elif item.get("error") is not None:
                answers.append(rpc_error(item["error"], method))
            else:
                answers.append(item.get("result"))
        return answers

    # --- node and PXE methods ---------------------------------------------------------------

    async def is_ready(self) -> bool:
        """node_isReady, answered at once (a health probe): False when the PXE is down or not ready."""
        try:
            return bool(await self.call("node_isReady", [], retry=False))
        except PxeError:
            return False

    async def block_number(self) -> int:
        return _as_int(await self.call("node_getBlockNumber", []))

    async def register_account(self, secret_key: str) -> str:
        result = await self.call("pxe_registerAccount", [to_field(secret_key)])
        address = result.get("address") if isinstance(result, dict) else result
        return normalize_address(str(address))

    async def register_contract(self, instance: dict, secret_key: str | None = None) -> None:
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
        authwits: list | None = None,
        from_: str | None = None,
    ) -> list[int]:
        params: list[Any] = [function, [to_field(a) for a in args], normalize_address(to), authwits or []]
        if from_ is not None:
            params.append(normalize_address(from_))
        result = await self.call("pxe_simulateUtility", params)
        values = result.get("result") if isinstance(result, dict) else result
        if not isinstance(values, list):
            raise PxeError(f"PXE answered {function} without a result array")
        return [from_field(v) for v in values]

    async def create_authwit(self, from_: str, caller: str, call: Call) -> dict:
        return await self.call("pxe_createAuthWit", _authwit_params(from_, caller, call))

    async def send_tx(self, calls: list[Call], authwits: list[dict], from_: str) -> str:
        """Submits a transaction; never retried (a lost answer is resolved from the receipt)."""
        return _tx_hash(await self.call("pxe_sendTx", _send_params(calls, authwits, from_), retry=False))

    async def create_authwits(self, from_: str, intents: list[tuple[str, Call]]) -> list[dict | PxeError]:
        """One authwit per (caller, call), in one batch; a PxeError in place of each that failed."""
        return await self.call_many([("pxe_createAuthWit", _authwit_params(from_, caller, call)) for caller, call in intents])

    async def send_txs(self, txs: list[tuple[list[Call], list[dict]]], from_: str) -> list[str | PxeError]:
        """Several transactions in one batch; never retried. Per transaction its hash or its PxeError."""
        answers = await self.call_many([("pxe_sendTx", _send_params(calls, authwits, from_)) for calls, authwits in txs])
        return [a if isinstance(a, PxeError) else _tx_hash(a) for a in answers]

    async def get_tx_receipt(self, tx_hash: str) -> TxReceipt:
        result = await self.call("node_getTxReceipt", [to_field(tx_hash)])
        if not isinstance(result, dict) or not isinstance(result.get("status"), str):
            raise PxeError("PXE answered node_getTxReceipt without a status")
        block = result.get("blockNumber")
        return TxReceipt(
            status=result["status"].lower(),
            error=result.get("error") or None,
            block_number=_as_int(block) if block is not None else None,
        )

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

    # --- the lending protocol's utility functions -------------------------------------------

    async def sync_private_state(self, escrow: str) -> None:
        await self.simulate_utility("sync_private_state", [], escrow)

    async def escrow_pool(self, escrow: str) -> str:
        (pool,) = await self._fields("get_config", [], escrow, 1)
        return to_field(pool)

    async def pool_config(self, pool: str) -> PoolConfig:
        collateral, debt, max_ltv, threshold = await self._fields("get_config", [], pool, 4)
        return PoolConfig(to_field(collateral), to_field(debt), max_ltv, threshold)

    async def token_symbol(self, token: str) -> str:
        (symbol,) = await self._fields("get_symbol", [], token, 1)
        return field_to_symbol(symbol)

    async def private_balance(self, token: str, owner: str) -> int:
        (amount,) = await self._fields("balance_of_private", [normalize_address(owner)], token, 1)
        return amount

    async def collateral_and_debt(self, pool: str, escrow: str) -> Notes:
        values = await self._fields("get_collateral_and_debt", [normalize_address(escrow)], pool, 7)
        c_owner, c_rand, c_amount, l_owner, l_rand, l_principal, l_epoch = values
        return Notes(
            collateral_amount=c_amount, debt_principal=l_principal, debt_epoch=l_epoch,
            collateral_owner=to_field(c_owner), collateral_randomness=to_field(c_rand),
            debt_owner=to_field(l_owner), debt_randomness=to_field(l_rand),
        )

    async def _fields(self, function: str, args: list[int | str], to: str, count: int) -> list[int]:
        values = await self.simulate_utility(function, args, to)
        if len(values) < count:
            raise PxeError(f"PXE answered {function} with {len(values)} fields, expected {count}")
        return values[:count]


def rpc_error(error: Any, method: str) -> PxeError:
    """The PxeError subclass a JSON-RPC error object stands for."""
    if not isinstance(error, dict):
        return PxeError(f"PXE answered {method} with an error: {error!r}"[:300])
    code = error.get("code")
    message = str(error.get("message") or f"error {code}")
    if code == EXECUTION_ERROR:
        return PxeReverted(message)
    if code == INVALID_INPUT:
        return PxeInvalidInput(message, code)
    if code == METHOD_NOT_FOUND:
        return PxeMethodNotFound(message, code)
    return PxeError(message, code if isinstance(code, int) else None)


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise PxeError("expected an integer, got a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return from_field(value) if value.startswith("0x") else int(value)
    raise PxeError(f"expected an integer, got {type(value).__name__}")


def _authwit_params(from_: str, caller: str, call: Call) -> list[Any]:
    return [normalize_address(from_), {"caller": normalize_address(caller), "call": call.to_json()}]


def _send_params(calls: list[Call], authwits: list[dict], from_: str) -> list[Any]:
    return [{"calls": [c.to_json() for c in calls], "authWitnesses": list(authwits)}, {"from": normalize_address(from_)}]


def _tx_hash(result: Any) -> str:
    return to_field(str(result.get("txHash") if isinstance(result, dict) else result))


async def _settled(call: Awaitable[Any]) -> Any:
    try:
        return await call
    except PxeError as exc:
        return exc
