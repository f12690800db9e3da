"""Tells the liquidation engines about new on-chain prices without ever blocking the price loop.

Engine replicas (issue 14) each hear every price: `LIQUIDATION_ENGINE_URL` may list several, and
each gets its own queue, so an engine that is down never delays the others.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from shared.http import HttpUnreachable, make_client, request_with_retry
from shared.logging import get_logger

log = get_logger()

MAX_PENDING = 16


class EngineNotifier:
    def __init__(self, engine_url: str, api_key: str, attempts: int = 3, backoff: float = 0.5,
                 client: httpx.AsyncClient | None = None) -> None:
        self._url = f"{engine_url.rstrip('/')}/price-update"
        self._headers = {"X-API-Key": api_key}
        self._attempts = attempts
        self._backoff = backoff
        self._client = client or make_client(timeout=5.0)
        # Bounded: if the engine is down for long, the oldest notifications go first;
        # the engine's own sweep still catches every position.
        self._queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue(MAX_PENDING)
        self._worker: asyncio.Task[None] | None = None
        self.sent = 0
        self.failed = 0

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="engine-notifier")

    def notify(self, updates: list[dict[str, Any]]) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self._queue.task_done()
            log.warning("Liquidation engine notification dropped", reason="queue full")
        self._queue.put_nowait(updates)

    async def _run(self) -> None:
        while True:
            updates = await self._queue.get()
            try:
                await self._deliver(updates)
            finally:
                self._queue.task_done()

    async def _deliver(self, updates: list[dict[str, Any]]) -> bool:
        """One delivery under shared.http's retry policy (5xx and transport errors retried, a 429 after its
        Retry-After); a client error (a wrong key, say) will not fix itself by retrying."""
        assets = [u["asset"] for u in updates]
        attempts = [1]

        def retrying(attempt: int, reason: str) -> None:
            log.warning("Liquidation engine notification failed", assets=assets, attempt=attempt, error=reason)
            attempts.append(attempt + 1)

        try:
            response = await request_with_retry(self._client, "POST", self._url, json={"updates": updates}, headers=self._headers,
                                                attempts=self._attempts, backoff=self._backoff, on_retry=retrying)
            error = None if response.status_code < 300 else f"HTTP {response.status_code}"
        except HttpUnreachable as exc:
            error = f"{type(exc.last).__name__}: {exc.last}" if str(exc.last) else type(exc.last).__name__
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        if error is not None:
            log.warning("Liquidation engine notification failed", assets=assets, attempt=attempts[-1], error=error)
            self.failed += 1
            return False
        self.sent += 1
        log.info("Liquidation engine notified", assets=assets, attempt=attempts[-1])
        return True

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until what is queued or in flight is delivered (at shutdown, and in tests)."""
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            pass

    async def close(self) -> None:
        if self._worker:
            self._worker.cancel()
            try:
                await self._worker
            except (asyncio.CancelledError, Exception):
                pass
        await self._client.aclose()


class EngineFanout:
    """One notifier per engine URL (a comma-separated `LIQUIDATION_ENGINE_URL`), told the same updates."""

    def __init__(self, engine_urls: str, api_key: str, attempts: int = 3) -> None:
        urls = [u.strip() for u in engine_urls.split(",") if u.strip()]
        self.targets = [EngineNotifier(url, api_key, attempts) for url in urls]

    def start(self) -> None:
        for target in self.targets:
            target.start()

    def notify(self, updates: list[dict[str, Any]]) -> None:
        for target in self.targets:
            target.notify(list(updates))

    async def drain(self, timeout: float = 5.0) -> None:
        await asyncio.gather(*(target.drain(timeout) for target in self.targets))

    async def close(self) -> None:
        await asyncio.gather(*(target.close() for target in self.targets))

    @property
    def sent(self) -> int:
        return sum(target.sent for target in self.targets)

    @property
    def failed(self) -> int:
        return sum(target.failed for target in self.targets)
