"""GET /health: the one report every service gives, and live dependency checks bounded in time and
cached for a moment.

A health check that hangs on a slow chain or PXE would make this service look down too, and one
that queries the chain on every call lets an unauthenticated client load the chain through us.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

PROBE_TIMEOUT = 2.0
PROBE_CACHE_SECONDS = 1.5

Status = Literal["healthy", "degraded", "unhealthy"]


@dataclass(frozen=True)
class HealthReport:
    """What every service's GET /health answers: its status first, then what it found. `unhealthy`
    (the work has stopped) is HTTP 503, so a load balancer or an orchestrator acts on it; `degraded`
    (the work goes on, something is wrong) is 200 with the reasons in the body."""

    status: Status
    details: dict[str, Any]

    @property
    def body(self) -> dict[str, Any]:
        return {"status": self.status, **self.details}

    @property
    def http_status(self) -> int:
        return 503 if self.status == "unhealthy" else 200


async def probe(check: Awaitable[bool], timeout: float = PROBE_TIMEOUT) -> bool:
    """False when the dependency says no, fails, or is slower than `timeout`."""
    try:
        return bool(await asyncio.wait_for(check, timeout))
    except Exception:  # noqa: BLE001 - any failure is "not reachable" here
        return False


class CachedProbe:
    """One live check, run at most once per `ttl` seconds; concurrent callers share the run in flight."""

    def __init__(self, check: Callable[[], Awaitable[bool]], ttl: float = PROBE_CACHE_SECONDS,
                 timeout: float = PROBE_TIMEOUT, clock: Callable[[], float] = time.monotonic) -> None:
        self._check = check
        self._ttl = ttl
        self._timeout = timeout
        self._clock = clock
        self._value: bool | None = None
        self._at = float("-inf")
        self._running: asyncio.Task[bool] | None = None
        self.runs = 0

    async def __call__(self) -> bool:
        if self._value is not None and self._clock() - self._at < self._ttl:
            return self._value
        if self._running is None:
            self._running = asyncio.ensure_future(self._run())
        try:
            return await asyncio.shield(self._running)
        finally:
            if self._running is not None and self._running.done():
                self._running = None

    def observe(self, value: bool) -> None:
        """Evidence from real traffic (a sync that reached the PXE, say) is as good as a probe."""
        self._value, self._at = value, self._clock()

    async def _run(self) -> bool:
        self.runs += 1
        value = await probe(self._check(), self._timeout)
        self._value, self._at = value, self._clock()
        return value
