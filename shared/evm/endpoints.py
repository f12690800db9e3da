"""Several JSON-RPC endpoints in failover order: the one transport of the EVM layer.

`RPC_URL` may list endpoints separated by commas, the preferred first. A node that fails
(transport error, timeout, HTTP 5xx/429, an answer that is not JSON-RPC) or whose block lags the
best of the others by more than `max_lag_blocks` is left for the next one within the same call.
All are probed again every `probe_interval` seconds and on the call after a failure, so the
preferred node is used again as soon as it is healthy. A node on another chain id is never used.
Endpoints appear in messages only masked: no user:password, no query, no key-like path segment.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from shared.retry import RetriesExhausted, retry

__all__ = ["Endpoint", "EndpointPool", "mask_url", "split_urls"]

_KEYLIKE = re.compile(r"[A-Za-z0-9_\-]{16,}")


class NodeUnreachable(Exception):
    """No endpoint answered (transport error, timeout, 5xx). The message names endpoints masked."""


def split_urls(urls: str | Sequence[str]) -> list[str]:
    items = urls.split(",") if isinstance(urls, str) else list(urls)
    cleaned = [u.strip() for u in items if u and u.strip()]
    if not cleaned:
        raise ValueError("no RPC endpoint given")
    return cleaned


def mask_url(url: str) -> str:
    """'https://user:pw@host/v2/<key>?apikey=…' → 'https://***@host/v2/***?***'."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host += f":{parts.port}"
    if parts.username or parts.password:
        host = "***@" + host
    path = "/".join("***" if _KEYLIKE.fullmatch(s) and any(c.isdigit() for c in s) else s for s in parts.path.split("/"))
    return f"{parts.scheme}://{host}{path}" + ("?***" if parts.query else "")


@dataclass
class Endpoint:
    url: str = field(repr=False)
    label: str  # masked
    block: int | None = None
    chain_id: int | None = None
    failed: bool = False
    error: str | None = None


class _NodeFailure(Exception):
    pass


def _is_jsonrpc(content: bytes) -> bool:
    try:
        body = json.loads(content)
    except ValueError:
        return False
    return isinstance(body, list) or (isinstance(body, dict) and ("result" in body or "error" in body))


class EndpointPool:
    def __init__(self, urls: str | Sequence[str], timeout: float = 10.0, max_lag_blocks: int = 5,
                 probe_interval: float = 15.0, retries: int = 2, backoff: float = 0.1) -> None:
        self.endpoints = [Endpoint(url=u, label=mask_url(u)) for u in split_urls(urls)]
        self.timeout = float(timeout)
        self.probe_timeout = min(self.timeout, 3.0)
        self.max_lag_blocks = max_lag_blocks
        self.probe_interval = probe_interval
        self.retries = retries
        self.backoff = backoff
        self.chain_id: int | None = None  # fixed by the first probe: the preferred node that answered
        self.failovers = 0  # calls served by another endpoint than the previous call (a metric)
        self._current = self.endpoints[0]
        self._next_probe = 0.0
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"EndpointPool({', '.join(e.label for e in self.endpoints)})"

    @property
    def current_endpoint(self) -> str:
        """The endpoint in use (masked), for health and logs."""
        return self._current.label

    @property
    def current_url(self) -> str:
        return self._current.url

    def status(self) -> list[dict[str, object]]:
        """Per endpoint, for a health page: label, last probed block, failed/lagging, in use."""
        lagging = {id(e) for e in self._lagging()}
        return [{"endpoint": e.label, "block": e.block, "failed": e.failed, "lagging": id(e) in lagging,
                 "current": e is self._current, "error": e.error} for e in self.endpoints]

    async def post(self, body: bytes, retryable: bool = True) -> bytes:
        """POST one JSON-RPC body to the best endpoint, failing over to the next on a node failure."""
        if len(self.endpoints) > 1 and time.monotonic() >= self._next_probe:
            await self.probe()
        errors: list[str] = []
        for endpoint in self._ordered():
            try:
                content = await self._attempts(endpoint, body, retryable)
            except _NodeFailure as exc:
                endpoint.failed, endpoint.error = True, str(exc)
                errors.append(f"{endpoint.label}: {exc}")
                self._next_probe = 0.0  # probe all again (the preferred first) on the next call
                continue
            endpoint.failed = False
            if endpoint is not self._current:
                self.failovers += 1
                self._current = endpoint
            return content
        raise NodeUnreachable("; ".join(errors) or "no endpoint on the expected chain")

    async def probe(self) -> None:
        """Read chain id and block number of every endpoint at once."""
        self._next_probe = time.monotonic() + self.probe_interval
        await asyncio.gather(*(self._probe_one(e) for e in self.endpoints))
        if self.chain_id is None:
            self.chain_id = next((e.chain_id for e in self.endpoints if e.chain_id is not None), None)

    async def _probe_one(self, endpoint: Endpoint) -> None:
        body = json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
                           {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": []}]).encode()
        try:
            answers = {a["id"]: a["result"] for a in json.loads(await self._post_to(endpoint, body, self.probe_timeout))}
            endpoint.chain_id, endpoint.block = int(answers[1], 16), int(answers[2], 16)
        except (_NodeFailure, ValueError, KeyError, TypeError) as exc:
            endpoint.failed, endpoint.error = True, str(exc) or type(exc).__name__
            return
        endpoint.failed, endpoint.error = False, None

    def _lagging(self) -> list[Endpoint]:
        blocks = [e.block for e in self.endpoints if e.block is not None and not e.failed]
        if not blocks:
            return []
        best = max(blocks)
        return [e for e in self.endpoints if e.block is not None and best - e.block > self.max_lag_blocks]

    def _ordered(self) -> list[Endpoint]:
        """Healthy endpoints in configured order, then lagging ones, then failed ones (a last resort)."""
        lagging = {id(e) for e in self._lagging()}
        usable = [e for e in self.endpoints if self.chain_id is None or e.chain_id in (None, self.chain_id)]
        return sorted(usable, key=lambda e: 2 if e.failed else 1 if id(e) in lagging else 0)

    async def _attempts(self, endpoint: Endpoint, body: bytes, retryable: bool) -> bytes:
        # With one endpoint a read is retried a couple of times; with several, the next one is the retry.
        attempts = 1 + (self.retries if retryable and len(self.endpoints) == 1 else 0)
        try:
            return await retry(lambda: self._post_to(endpoint, body, self.timeout), attempts=attempts,
                               backoff=self.backoff, retry_on=(_NodeFailure,))
        except RetriesExhausted as exc:
            raise exc.last from None  # type: ignore[misc]

    async def _post_to(self, endpoint: Endpoint, body: bytes, timeout: float) -> bytes:
        try:
            limits = httpx.Timeout(timeout, connect=min(3.0, timeout))
            response = await self._client().post(endpoint.url, content=body, timeout=limits)
        except httpx.TimeoutException:
            raise _NodeFailure("timed out") from None
        except httpx.TransportError as exc:  # its message carries no URL
            raise _NodeFailure(f"unreachable ({type(exc).__name__})") from None
        code = response.status_code
        if code >= 500 or code == 429 or not _is_jsonrpc(response.content):
            raise _NodeFailure(f"HTTP {code}" if code != 200 else "answer is not JSON-RPC")
        return response.content

    def _client(self) -> httpx.AsyncClient:
        # One pooled client per event loop, shared by all endpoints; no lock shared across loops.
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout, connect=min(3.0, self.timeout)),
                                       headers={"Content-Type": "application/json"})
            self._clients[loop] = client
        return client

    async def close(self) -> None:
        clients = list(self._clients.values())
        self._clients.clear()
        for client in clients:
            try:
                await client.aclose()
            except RuntimeError:  # its event loop is gone already
                pass
