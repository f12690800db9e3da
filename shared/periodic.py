"""A periodic job that never overlaps itself and can be woken early (pymaker-style keeper loop)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from shared.logging import get_logger

log = get_logger()


class Periodic:
    def __init__(self, name: str, interval: float, work: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self.interval = interval
        self._work = work
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.runs = 0

    def start(self, run_first: bool = True) -> None:
        if run_first:
            self._wake.set()
        self._task = asyncio.create_task(self._loop(), name=self.name)

    def trigger(self) -> None:
        """Run as soon as the current run (if any) ends; several triggers coalesce into one run."""
        self._wake.set()

    async def run_now(self) -> None:
        async with self._lock:
            await self._run()

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            except TimeoutError:
                pass
            self._wake.clear()
            async with self._lock:
                await self._run()

    async def _run(self) -> None:
        try:
            await self._work()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one failed run must never end the loop
            log.error("Periodic job failed", job=self.name, error=repr(exc))
        finally:
            self.runs += 1

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None
