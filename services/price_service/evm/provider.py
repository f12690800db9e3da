"""A web3 async provider over the EVM layer's endpoint pool (httpx, failover).

web3's AsyncHTTPProvider guards its session cache with a process-wide threading.Lock taken
through an executor; a request cancelled while waiting for that lock (any timeout) leaves it
held and hangs every later web3 call in the process. It also opens a new TCP connection per
request. This provider posts through `EndpointPool`: one pooled httpx client per event loop, no
shared lock, and the next endpoint when one fails.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import Any

from web3.providers.async_base import AsyncJSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

from shared.evm.endpoints import EndpointPool

# Reads that are safe to repeat on the same endpoint. A send is never repeated there; it may go to
# the next endpoint, which is safe because a signed transaction is the same bytes (same hash).
RETRYABLE_METHODS = frozenset({
    "eth_call", "eth_chainId", "eth_blockNumber", "eth_getBlockByNumber", "eth_getBlockByHash",
    "eth_getTransactionReceipt", "eth_getTransactionByHash", "eth_getTransactionCount", "eth_getLogs",
    "eth_getCode", "eth_estimateGas", "eth_maxPriorityFeePerGas", "eth_gasPrice", "eth_feeHistory",
    "eth_getBalance", "net_version", "web3_clientVersion", "txpool_content",
})


class HttpxProvider(AsyncJSONBaseProvider):
    def __init__(self, endpoints: str | Sequence[str] | EndpointPool, timeout: float = 10.0, retries: int = 2,
                 backoff: float = 0.1) -> None:
        super().__init__()
        self.pool = endpoints if isinstance(endpoints, EndpointPool) else EndpointPool(
            endpoints, timeout=timeout, retries=retries, backoff=backoff)
        self._ids = itertools.count(1)

    @property
    def endpoint_uri(self) -> str:
        return self.pool.current_url

    def __str__(self) -> str:
        return f"RPC connection {self.pool.current_endpoint}"

    async def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": next(self._ids)},
                          default=_jsonable).encode()
        return self.decode_rpc_response(await self.pool.post(body, retryable=method in RETRYABLE_METHODS))

    async def make_batch_request(self, batch_requests: list[tuple[RPCEndpoint, Any]]) -> list[RPCResponse]:
        body = json.dumps([{"jsonrpc": "2.0", "method": m, "params": p, "id": next(self._ids)} for m, p in batch_requests],
                          default=_jsonable).encode()
        retryable = all(m in RETRYABLE_METHODS for m, _ in batch_requests)
        response = self.decode_rpc_response(await self.pool.post(body, retryable=retryable))
        if not isinstance(response, list):
            raise ValueError(f"batch request answered with a single response: {response!r}")
        return sorted(response, key=lambda r: int(r.get("id") or 0))

    async def disconnect(self) -> None:
        await self.pool.close()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if hasattr(value, "hex"):
        return value.hex() if str(value.hex()).startswith("0x") else "0x" + value.hex()
    raise TypeError(f"cannot encode {type(value).__name__}")
