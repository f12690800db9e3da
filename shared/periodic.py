"""The one keeper loop: a job run on a fixed schedule and on demand, never overlapping itself.

Every trigger of a service's work is declared through it (pymaker's Lifecycle in spirit): the
schedule (`interval`), `trigger()` for "as soon as possible, coalesced", and `run_now()` for a
caller that must wait for the result. `wait_for_run(after)` lets tests and benchmarks wait for
the next run instead of sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from shared.logging import get_logger

log = get_logger()

# `work(scheduled)`: True for a run the schedule asked for, False for a triggered one.
Work = Callable[[bool], Awaitable[None]]


class Periodic:
    def __init__(self, name: str, interval: float, work: Work) -> None:
        self.name = name
        self.interval = interval
        self._work = work
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._done = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.runs = 0
        self.running_since: float | None = None  # monotonic start of the run in progress
        self.last_finished_at: float | None = None  # monotonic end of the last run

    def start(self, run_first: bool = True) -> None:
        """Start the schedule: the first scheduled run now (`run_first`) or after one interval."""
        first_due = time.monotonic() + (0.0 if run_first else self.interval)
        self._task = asyncio.create_task(self._loop(first_due), name=self.name)

    def trigger(self) -> None:
        """Run as soon as the current run (if any) ends; several triggers coalesce into one run."""
        self._wake.set()

    async def run_now(self) -> None:
        """Run in the caller, after any run in progress."""
        await self._run(scheduled=False)

    async def wait_for_run(self, after: int, timeout: float = 30.0) -> None:
        """Wait until more than `after` runs have finished."""
        async with self._done:
            await asyncio.wait_for(self._done.wait_for(lambda: self.runs > after), timeout)

    def running_for(self) -> float:
        """Seconds the run in progress has taken so far (0 when idle)."""
        return 0.0 if self.running_since is None else time.monotonic() - self.running_since

    async def _loop(self, due: float) -> None:
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.0, due - time.monotonic()))
            except TimeoutError:
                pass
            if self._stopping:
                return
            self._wake.clear()
            scheduled = time.monotonic() >= due
            if scheduled:
                # A fixed schedule that triggered runs do not move; a slow run never causes a burst.
                due = max(due + self.interval, time.monotonic())
            await self._run(scheduled)

    async def _run(self, scheduled: bool) -> None:
        async with self._lock:
            self.running_since = time.monotonic()
            try:
                await self._work(scheduled)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one failed run must never end the loop
                log.error("Periodic job failed", job=self.name, error=repr(exc))
            finally:
                self.running_since = None
                self.last_finished_at = time.monotonic()
                async with self._done:
                    self.runs += 1
                    self._done.notify_all()

    async def stop(self, grace: float = 0.0) -> None:
        """Stop the schedule; a run in progress gets `grace` seconds to finish before it is cancelled."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except (TimeoutError, asyncio.CancelledError, Exception):
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
