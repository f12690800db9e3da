"""Health probes: bounded in time, never raising, cached so /health cannot load a dependency."""

from __future__ import annotations

import asyncio

from shared.health import CachedProbe, probe


async def test_probe_is_false_for_a_failure_a_no_or_a_hang() -> None:
    async def no() -> bool:
        return False

    async def boom() -> bool:
        raise ConnectionError("down")

    async def hang() -> bool:
        await asyncio.sleep(10)
        return True

    assert await probe(no()) is False
    assert await probe(boom()) is False
    assert await probe(hang(), timeout=0.05) is False


async def test_a_cached_probe_runs_once_per_period_however_many_ask() -> None:
    now = [0.0]
    calls = 0

    async def check() -> bool:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return True

    cached = CachedProbe(check, ttl=1.5, clock=lambda: now[0])
    assert all(await asyncio.gather(*(cached() for _ in range(50))))
    assert calls == 1
    now[0] = 1.0
    assert await cached() and calls == 1
    now[0] = 2.0
    assert await cached() and calls == 2
