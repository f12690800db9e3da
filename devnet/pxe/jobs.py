"""A PXE runs one job at a time: the queue the development PXE's costed calls wait in.

Under a cost profile (costs.py) every PXE job (a simulation, a proof, a note sync, a registration)
waits its turn in one FIFO queue shared by all requests and batch items, then holds the PXE for its
cost; node_* calls and pxe_sendProvenTx are not jobs and never wait. Without a profile nothing queues
(the development PXE's old behaviour) and jobs are only counted.

Figures are in model seconds (wall seconds / scale), so a benchmark run at --time-scale 0.01 reports
what the same load would cost a real PXE.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from devnet.pxe.costs import CostModel

Sleep = Callable[[float], Awaitable[None]]
HISTORY = 10_000  # the last jobs kept for dev_getJobStats {"history": true}


@dataclass
class Job:
    """One job holding the PXE: `spend` passes model seconds of its cost."""

    method: str
    queue: JobQueue | None  # None: no cost profile, nothing to spend
    spent: float = 0.0

    async def spend(self, seconds: float) -> None:
        if self.queue is None or seconds <= 0:
            return
        self.spent += seconds
        await self.queue.sleep(seconds * self.queue.costs.scale)


@dataclass
class MethodStats:
    count: int = 0
    busy: float = 0.0  # model seconds


class JobQueue:
    def __init__(self, costs: CostModel, *, sleep: Sleep = asyncio.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.costs = costs
        self.sleep = sleep
        self.clock = clock
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.waiting = 0  # jobs in the queue now
        self.running = 0  # 1 while a job holds the PXE
        self.reset()

    def reset(self) -> None:
        """Starts the figures over (not the queue)."""
        self.jobs: dict[str, MethodStats] = {}
        self.direct: dict[str, MethodStats] = {}  # calls that are not jobs
        self.wait_total = 0.0
        self.wait_max = 0.0
        self.history: deque[dict[str, Any]] = deque(maxlen=HISTORY)
        self.epoch = self.clock()

    def _queue_lock(self) -> asyncio.Lock:
        """asyncio.Lock is fair (FIFO); one per event loop, as a restarted server runs a new loop."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    def _model(self, wall: float) -> float:
        return wall / self.costs.scale

    @asynccontextmanager
    async def job(self, method: str) -> AsyncIterator[Job]:
        """Waits for the PXE, then holds it while the caller works and spends the job's cost."""
        if not self.costs.active:
            self.jobs.setdefault(method, MethodStats()).count += 1
            yield Job(method, None)
            return
        enqueued = self.clock()
        self.waiting += 1
        try:
            await self._queue_lock().acquire()
        finally:
            self.waiting -= 1
        started = self.clock()
        self.running += 1
        job = Job(method, self)
        try:
            yield job
        finally:
            self.running -= 1
            self._record(job, enqueued, started)
            self._queue_lock().release()

    def _record(self, job: Job, enqueued: float, started: float) -> None:
        wait = self._model(started - enqueued)
        stats = self.jobs.setdefault(job.method, MethodStats())
        stats.count += 1
        stats.busy += job.spent
        self.wait_total += wait
        self.wait_max = max(self.wait_max, wait)
        self.history.append({
            "method": job.method, "cost": round(job.spent, 6), "wait": round(wait, 6),
            "enqueuedAt": round(self._model(enqueued - self.epoch), 6), "startedAt": round(self._model(started - self.epoch), 6),
            "endedAt": round(self._model(self.clock() - self.epoch), 6),
        })

    async def not_a_job(self, method: str, seconds: float) -> None:
        """A call that never waits for the PXE (node_*, pxe_sendProvenTx): it only takes its own time."""
        stats = self.direct.setdefault(method, MethodStats())
        stats.count += 1
        if self.costs.active and seconds > 0:
            stats.busy += seconds
            await self.sleep(seconds * self.costs.scale)

    def stats(self, history: bool = False) -> dict[str, Any]:
        """dev_getJobStats: jobs per method, busy and waiting time, all in model seconds."""
        out: dict[str, Any] = {
            "costs": self.costs.profile,
            "timeScale": self.costs.scale,
            "jobs": {m: {"count": s.count, "busySeconds": round(s.busy, 6)} for m, s in sorted(self.jobs.items())},
            "notQueued": {m: {"count": s.count, "seconds": round(s.busy, 6)} for m, s in sorted(self.direct.items())},
            "jobCount": sum(s.count for s in self.jobs.values()),
            "busySeconds": round(sum(s.busy for s in self.jobs.values()), 6),
            "queueWaitSeconds": round(self.wait_total, 6),
            "maxQueueWaitSeconds": round(self.wait_max, 6),
            "running": self.running,
            "waiting": self.waiting,
        }
        if history:
            out["history"] = list(self.history)
        return out
