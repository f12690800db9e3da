"""The one keeper loop: a fixed schedule, coalesced triggers, never two runs at once."""

from __future__ import annotations

import asyncio

from shared.periodic import Periodic


async def test_runs_on_its_schedule_and_first_at_start() -> None:
    runs: list[bool] = []

    async def work(scheduled: bool) -> None:
        runs.append(scheduled)

    loop = Periodic("job", 0.05, work)
    loop.start(run_first=True)
    await loop.wait_for_run(2, timeout=2)
    await loop.stop()
    assert runs[:3] == [True, True, True]


async def test_triggers_during_a_run_coalesce_into_one_more_run() -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    runs: list[bool] = []

    async def work(scheduled: bool) -> None:
        runs.append(scheduled)
        started.set()
        await release.wait()

    loop = Periodic("job", 3600, work)
    loop.start(run_first=False)
    loop.trigger()
    await asyncio.wait_for(started.wait(), 2)
    for _ in range(20):
        loop.trigger()
    release.set()
    await loop.wait_for_run(1, timeout=2)
    await asyncio.sleep(0.05)
    await loop.stop()
    assert runs == [False, False]  # the held run, then ONE for all twenty triggers


async def test_triggered_runs_do_not_move_the_schedule() -> None:
    times: list[tuple[float, bool]] = []

    async def work(scheduled: bool) -> None:
        times.append((asyncio.get_running_loop().time(), scheduled))

    loop = Periodic("job", 0.2, work)
    start = asyncio.get_running_loop().time()
    loop.start(run_first=False)
    for _ in range(3):
        await asyncio.sleep(0.05)
        loop.trigger()  # triggered runs at 0.05, 0.10, 0.15
    await loop.wait_for_run(3, timeout=2)  # the scheduled one at 0.2
    await loop.stop()
    scheduled = [t - start for t, s in times if s]
    assert scheduled and 0.18 <= scheduled[0] < 0.35


async def test_run_now_waits_for_a_run_in_progress_and_never_overlaps() -> None:
    active = 0
    most = 0

    async def work(_scheduled: bool) -> None:
        nonlocal active, most
        active += 1
        most = max(most, active)
        await asyncio.sleep(0.02)
        active -= 1

    loop = Periodic("job", 3600, work)
    loop.start(run_first=True)
    await asyncio.gather(*(loop.run_now() for _ in range(5)))
    await loop.stop()
    assert most == 1 and loop.runs >= 5


async def test_a_failing_run_never_ends_the_loop_and_running_for_tells_how_long() -> None:
    calls = 0
    gate = asyncio.Event()

    async def work(_scheduled: bool) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        await gate.wait()

    loop = Periodic("job", 0.01, work)
    loop.start(run_first=True)
    while calls < 2:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert loop.running_for() >= 0.04  # the second run is still going
    gate.set()
    await loop.stop(grace=1)
    assert loop.running_since is None


async def test_stop_gives_a_running_job_its_grace_then_cancels_it() -> None:
    finished = asyncio.Event()
    started = asyncio.Event()

    async def slow(_scheduled: bool) -> None:
        started.set()
        await asyncio.sleep(0.05)
        finished.set()

    loop = Periodic("job", 3600, slow)
    loop.start(run_first=True)
    await started.wait()
    await loop.stop(grace=1)
    assert finished.is_set()

    cancelled = asyncio.Event()

    async def stuck(_scheduled: bool) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    loop = Periodic("job", 3600, stuck)
    loop.start(run_first=True)
    await asyncio.sleep(0.02)
    await loop.stop(grace=0.05)
    assert cancelled.is_set()
