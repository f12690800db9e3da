"""A web3 async provider over httpx.

web3's AsyncHTTPProvider guards its session cache with a process-wide threading.Lock taken
through an executor; a request cancelled while waiting for that lock (any timeout) leaves it
held and hangs every later web3 call in the process. It also opens a new TCP connection per
request. This provider keeps one pooled httpx client per event loop and has no shared lock.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import httpx
from web3.providers.async_base import AsyncJSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

from shared.retry import RetriesExhausted, retry

# Reads that are safe to repeat; a transaction send is never retried here.
RETRYABLE_METHODS = frozenset({
    "eth_call", "eth_chainId", "eth_blockNumber", "eth_getBlockByNumber", "eth_getBlockByHash",
    "eth_getTransactionReceipt", "eth_getTransactionByHash", "eth_getTransactionCount", "eth_getLogs",
    "eth_getCode", "eth_estimateGas", "eth_maxPriorityFeePerGas", "eth_gasPrice", "eth_feeHistory",
    "eth_getBalance", "net_version", "web3_clientVersion",
})


class HttpxProvider(AsyncJSONBaseProvider):
    def __init__(self, endpoint_uri: str, timeout: float = 10.0, retries: int = 2, backoff: float = 0.1) -> None:
        super().__init__()
        self.endpoint_uri = endpoint_uri
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._ids = itertools.count(1)
        self._clients: dict[int, httpx.AsyncClient] = {}

    def __str__(self) -> str:
        return f"RPC connection {self.endpoint_uri}"

    def _client(self) -> httpx.AsyncClient:
        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(timeout=httpx.Timeout(self._timeout, connect=min(3.0, self._timeout)),
                                       headers={"Content-Type": "application/json"})
            self._clients[loop_id] = client
        return client

    async def _post(self, method: str, body: bytes) -> bytes:
        async def once() -> bytes:
            response = await self._client().post(self.endpoint_uri, content=body)
            response.raise_for_status()
            return response.content

        attempts = 1 + (self._retries if method in RETRYABLE_METHODS else 0)
        try:
            return await retry(once, attempts=attempts, backoff=self._backoff, retry_on=(httpx.TransportError,))
        except RetriesExhausted as exc:
            raise exc.last from None  # type: ignore[misc]

    async def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": next(self._ids)},
                          default=_jsonable).encode()
        return self.decode_rpc_response(await self._post(method, body))

    async def make_batch_request(self, batch_requests: list[tuple[RPCEndpoint, Any]]) -> list[RPCResponse]:
        body = json.dumps([{"jsonrpc": "2.0", "method": m, "params": p, "id": next(self._ids)} for m, p in batch_requests],
                          default=_jsonable).encode()
        response = self.decode_rpc_response(await self._post("batch", body))
        if not isinstance(response, list):
            raise ValueError(f"batch request answered with a single response: {response!r}")
        return sorted(response, key=lambda r: int(r.get("id") or 0))

    async def disconnect(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            try:
                await client.aclose()
            except RuntimeError:  # its event loop is gone already
                pass


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if hasattr(value, "hex"):
        return value.hex() if str(value.hex()).startswith("0x") else "0x" + value.hex()
    raise TypeError(f"cannot encode {type(value).__name__}")
