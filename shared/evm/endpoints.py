"""Several JSON-RPC endpoints in failover order: the one transport of the EVM layer.

`RPC_URL` may list endpoints separated by commas, the preferred first. An endpoint is used only once
its chain id is known to be the expected one: `CHAIN_ID`, or when that is empty the chain of the first
endpoint that answered (logged once, `RPC chain identified`); an endpoint on another chain is never
used (`RPC endpoint on another chain`). Every endpoint's chain id and block number are probed before
the first call, every `probe_interval` seconds and on the call after a failure.

The endpoint in use is chosen by agreement, never by the highest claim. A block number is confirmed
when another endpoint on the chain has reached it (within `max_lag_blocks`); the trusted head is the
highest confirmed block. An endpoint more than `max_lag_blocks` behind the head is lagging; one more
than `max_lag_blocks` ahead of it claims a block nobody confirms and is not trusted (a node that
reports block 0xfffffff makes nobody look lagging and is used last). With one endpoint answering
there is nothing to compare. Healthy endpoints are used in configured order, then lagging ones, then
unconfirmed ones, then those that failed (a last resort); a call that fails on one moves to the next.
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
from typing import Literal
from urllib.parse import urlsplit

import httpx

from shared.logging import get_logger
from shared.retry import RetriesExhausted, backoff_delay, retry

__all__ = ["Endpoint", "EndpointPool", "NodeUnreachable", "mask_url", "split_urls"]

log = get_logger()
_KEYLIKE = re.compile(r"[A-Za-z0-9_\-]{16,}")
Standing = Literal["ok", "lagging", "unconfirmed", "failed", "wrong chain", "unverified"]
_RANK: dict[Standing, int] = {"ok": 0, "lagging": 1, "unconfirmed": 2, "failed": 3}


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
    wrong_chain_logged: bool = False


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
                 probe_interval: float = 15.0, retries: int = 2, backoff: float = 0.1, chain_id: int | None = None) -> None:
        self.endpoints = [Endpoint(url=u, label=mask_url(u)) for u in split_urls(urls)]
        self.timeout = float(timeout)
        self.probe_timeout = min(self.timeout, 3.0)
        self.max_lag_blocks = max_lag_blocks
        self.probe_interval = probe_interval
        self.retries = retries
        self.backoff = backoff
        self.expected_chain_id = chain_id  # CHAIN_ID; None: the first endpoint that answers sets it
        self.chain_id: int | None = chain_id
        self.failovers = 0  # calls served by another endpoint than the previous call (a metric)
        self._current: Endpoint | None = None  # the endpoint that served the last call
        self._next_probe = 0.0
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"EndpointPool({', '.join(e.label for e in self.endpoints)})"

    @property
    def current_endpoint(self) -> str:
        """The endpoint that served the last call (before any, the preferred one), masked, for logs."""
        return (self._current or self.endpoints[0]).label

    @property
    def in_use(self) -> str | None:
        """The endpoint that served the last call, masked, for health; None before any call succeeded."""
        return self._current.label if self._current else None

    @property
    def current_url(self) -> str:
        return (self._current or self.endpoints[0]).url

    def status(self) -> list[dict[str, object]]:
        """Per endpoint, for a health page: label, chain id, last probed block, standing, in use."""
        standing = self._standings()
        return [{"endpoint": e.label, "chainId": e.chain_id, "block": e.block, "standing": standing[id(e)],
                 "failed": e.failed, "lagging": standing[id(e)] == "lagging",
                 "unconfirmed": standing[id(e)] == "unconfirmed", "current": e is self._current, "error": e.error}
                for e in self.endpoints]

    async def post(self, body: bytes, retryable: bool = True) -> bytes:
        """POST one JSON-RPC body to the best endpoint, failing over to the next on a node failure."""
        await self._probe_if_due(retryable)
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
                self.failovers += self._current is not None
                self._current = endpoint
            return content
        raise NodeUnreachable("; ".join(errors) or self._none_usable())

    async def _probe_if_due(self, retryable: bool) -> None:
        if time.monotonic() < self._next_probe and self._ordered():
            return
        await self.probe()
        # Nothing verified to be on the chain (every endpoint down): a read may try again, briefly.
        for attempt in range(1, (self.retries if retryable else 0) + 1):
            if self._ordered():
                return
            await asyncio.sleep(backoff_delay(attempt, self.backoff))
            await self.probe()

    def _none_usable(self) -> str:
        reasons = [f"{e.label}: {e.error or 'not probed'}" for e in self.endpoints]
        return "no endpoint on the expected chain answered (" + "; ".join(reasons) + ")"

    async def probe(self) -> None:
        """Read chain id and block number of every endpoint at once; fix or check the chain."""
        self._next_probe = time.monotonic() + self.probe_interval
        await asyncio.gather(*(self._probe_one(e) for e in self.endpoints))
        if self.chain_id is None:
            first = next((e for e in self.endpoints if e.chain_id is not None and not e.failed), None)
            if first is not None:
                self.chain_id = first.chain_id
                log.info("RPC chain identified", chainId=self.chain_id, endpoint=first.label, fromSetting=False)
        for e in self.endpoints:
            self._check_chain(e)

    def _check_chain(self, endpoint: Endpoint) -> None:
        wrong = endpoint.chain_id is not None and self.chain_id is not None and endpoint.chain_id != self.chain_id
        if wrong and not endpoint.wrong_chain_logged:
            log.error("RPC endpoint on another chain", endpoint=endpoint.label, chainId=endpoint.chain_id,
                      expectedChainId=self.chain_id, fromSetting=self.expected_chain_id is not None)
        endpoint.wrong_chain_logged = wrong

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
        if self.chain_id is not None and endpoint.chain_id != self.chain_id:
            endpoint.error = f"chain id {endpoint.chain_id}, expected {self.chain_id}"

    def _standings(self) -> dict[int, Standing]:
        """Each endpoint's standing, by agreement between the endpoints on the expected chain."""
        out: dict[int, Standing] = {}
        for e in self.endpoints:
            if e.chain_id is None:
                out[id(e)] = "unverified"
            elif self.chain_id is not None and e.chain_id != self.chain_id:
                out[id(e)] = "wrong chain"
            else:
                out[id(e)] = "failed" if e.failed else "ok"
        blocks = {id(e): e.block for e in self.endpoints if out[id(e)] == "ok" and e.block is not None}
        if len(blocks) < 2:
            return out  # one endpoint (or none) answering: nothing to compare
        lag = self.max_lag_blocks
        # A block is confirmed when another endpoint has reached it; the lowest always is, so a head exists.
        head = max(b for key, b in blocks.items() if any(other >= b - lag for k, other in blocks.items() if k != key))
        for key, block in blocks.items():
            out[key] = "unconfirmed" if block > head + lag else "lagging" if head - block > lag else "ok"
        return out

    def _ordered(self) -> list[Endpoint]:
        """Endpoints verified on the chain: healthy in configured order, then lagging, unconfirmed, failed."""
        standing = self._standings()
        usable = [e for e in self.endpoints if standing[id(e)] in _RANK]
        return sorted(usable, key=lambda e: _RANK[standing[id(e)]])

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
