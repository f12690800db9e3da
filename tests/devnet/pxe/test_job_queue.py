"""The development PXE's cost model: PXE jobs run one at a time in arrival order, each for its cost times
the time scale, accounted in model seconds; node_ calls never wait. Order and accounting are asserted
(on a virtual clock, or on the queue's own record), never wall-clock durations."""

from __future__ import annotations

import asyncio
import threading

import pytest

from devnet.pxe.costs import FAKE_PROOFS, NONE, REAL_PROOFS, CostModel, cost_model, parse_overrides
from devnet.pxe.jobs import JobQueue
from shared.pxe import to_field
from tests.devnet.pxe.lending_pools import UNIT, lending_pool


class VirtualTime:
    """A clock that moves only when a job sleeps: waits and costs come out exact."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)  # the others run (and queue) at this time, then it passes
        self.now += seconds


def test_a_tx_costs_its_simulation_then_its_proof_and_barely_more_per_call() -> None:
    fake, real = cost_model(FAKE_PROOFS), cost_model(REAL_PROOFS)
    assert sum(fake.tx_phases("pxe_sendTx", 1)) == pytest.approx(1.45 + 1.1 + 0.13)
    assert fake.tx_phases("pxe_proveTx", 1) == pytest.approx((1.45, 1.1))  # not sent: no node
    assert sum(fake.tx_phases("pxe_sendTx", 5)) == pytest.approx(2.68 + 4 * 0.05)  # 5 set_prices: 2.6-2.9 s measured
    assert real.tx_phases("pxe_sendTx", 1) == pytest.approx((1.45, 60 + 0.13))
    assert (fake.utility("sync_private_state"), fake.utility("get_config"), fake.of("pxe_simulateView")) == (0.15, 0.43, 1.2)
    assert cost_model(NONE).tx_phases("pxe_sendTx", 3) == (0, 0)

    tuned = cost_model(FAKE_PROOFS, 0.5, {"pxe_simulateView": 1.5, "pxe_sendTx": 3.0})
    assert tuned.of("pxe_simulateView") == 1.5 and tuned.scale == 0.5
    assert tuned.tx_phases("pxe_sendTx", 2) == pytest.approx((1.5, 1.55))  # the whole tx set: simulation first, then the rest


@pytest.mark.parametrize(("args", "wrong"), [
    ((FAKE_PROOFS, 0.0, {}), "time scale"), (("slow", 1.0, {}), "costs must be one of"),
    ((FAKE_PROOFS, 1.0, {"simulat": 1.0}), "unknown cost simulat"), ((FAKE_PROOFS, 1.0, {"prove": -1.0}), "0 or more"),
    ((NONE, 1.0, {"prove": 1.0}), "needs a cost profile"),
])
def test_bad_cost_settings_are_refused_with_the_reason(args: tuple, wrong: str) -> None:
    with pytest.raises(ValueError, match=wrong):
        cost_model(*args)


def test_cost_overrides_parse_name_equals_seconds() -> None:
    assert parse_overrides(["pxe_simulateView=1.5", " prove = 30 "]) == {"pxe_simulateView": 1.5, "prove": 30.0}
    for bad in ("prove", "prove=", "=1", "prove=fast"):
        with pytest.raises(ValueError, match="NAME=SECONDS"):
            parse_overrides([bad])


async def test_jobs_run_one_at_a_time_in_arrival_order_and_the_waits_add_up() -> None:
    time = VirtualTime()
    queue = JobQueue(cost_model(FAKE_PROOFS, 0.5), sleep=time.sleep, clock=time.clock)
    costs = [("pxe_sendTx", 2.68), ("pxe_simulateView", 1.2), ("pxe_simulateUtility", 0.43), ("pxe_simulateView", 1.2)]

    async def job(method: str, seconds: float) -> None:
        async with queue.job(method) as running:
            assert queue.running == 1
            await running.spend(seconds)

    await asyncio.gather(*(job(m, s) for m, s in costs))
    history = queue.stats(history=True)["history"]
    assert [h["method"] for h in history] == [m for m, _ in costs]  # first come, first served
    assert [h["wait"] for h in history] == pytest.approx([0, 2.68, 3.88, 4.31])  # model seconds: each waits for those before
    assert all(later["startedAt"] >= earlier["endedAt"] for earlier, later in zip(history, history[1:]))
    assert time.slept == pytest.approx([s * 0.5 for _, s in costs])  # the scale applies to every cost...
    stats = queue.stats()
    assert stats["busySeconds"] == pytest.approx(5.51)  # ...and the figures stay in model seconds
    assert stats["jobs"]["pxe_simulateView"] == {"count": 2, "busySeconds": pytest.approx(2.4)}
    assert (stats["queueWaitSeconds"], stats["maxQueueWaitSeconds"]) == (pytest.approx(10.87), pytest.approx(4.31))
    assert (stats["jobCount"], stats["running"], stats["waiting"]) == (4, 0, 0)


async def test_a_call_that_is_not_a_job_never_waits_for_one() -> None:
    time = VirtualTime()
    queue = JobQueue(cost_model(FAKE_PROOFS), sleep=time.sleep, clock=time.clock)
    holding, release = asyncio.Event(), asyncio.Event()

    async def long_job() -> None:
        async with queue.job("pxe_sendTx"):
            holding.set()
            await release.wait()

    task = asyncio.create_task(long_job())
    await holding.wait()
    await queue.not_a_job("node_getBlockNumber", 0.005)  # returns while the job still holds the PXE
    assert queue.running == 1 and queue.stats()["notQueued"]["node_getBlockNumber"] == {"count": 1, "seconds": 0.005}
    release.set()
    await task


async def test_without_a_profile_nothing_queues_or_sleeps() -> None:
    time = VirtualTime()
    queue = JobQueue(CostModel(), sleep=time.sleep, clock=time.clock)
    inside = 0

    async def job() -> None:
        nonlocal inside
        async with queue.job("pxe_simulateView") as running:
            inside += 1
            await running.spend(1.2)
            await asyncio.sleep(0)
            assert inside == 2  # both are inside at once: no queue
            await asyncio.sleep(0)

    await asyncio.gather(job(), job())
    assert time.slept == [] and queue.stats()["jobs"] == {"pxe_simulateView": {"count": 2, "busySeconds": 0}}


async def test_over_http_node_calls_answer_while_a_job_holds_the_pxe_and_another_waits() -> None:
    holding = threading.Event()

    async def held(seconds: float) -> None:  # while the test holds it, a job's cost never passes
        while holding.is_set():
            await asyncio.sleep(0.002)

    async def until(key: str) -> None:
        for _ in range(2_000):  # dev_ calls are not jobs: they answer at once
            if (await p.call("dev_getJobStats"))[key]:
                return
            await asyncio.sleep(0.005)
        pytest.fail(f"no job {key}")

    costs = cost_model(FAKE_PROOFS, 0.001, {"node": 0})
    async with lending_pool("nocom-v1", costs=costs, sleep=held) as p:
        p.escrow()
        feed = p.pxe.state.world.pools[p.pool].config.price_oracle_address
        holding.set()
        try:
            first = asyncio.create_task(p.call("pxe_simulateView", ["get_price", [p.collateral_token], feed]))
            await until("running")
            second = asyncio.create_task(p.call("pxe_getNotes", [{"contractAddress": p.pool}]))
            await until("waiting")

            assert await p.call("node_getBlockNumber") >= 1  # answered while the PXE is busy and a job waits
            assert (await p.call("node_getTxReceipt", [to_field(1)]))["status"] == "dropped"
            assert await p.call("pxe_getTxLimits") == {"maxCallsPerTx": 5}
            stats = await p.call("dev_getJobStats")
            assert (stats["running"], stats["waiting"]) == (1, 1)
        finally:
            holding.clear()
        await first
        assert len(await second) == 2
        stats = await p.call("dev_getJobStats", [{"history": True}])
    assert [h["method"] for h in stats["history"]][-2:] == ["pxe_simulateView", "pxe_getNotes"]  # in arrival order
    assert stats["notQueued"]["node_getBlockNumber"]["count"] == 1 and "node_getBlockNumber" not in stats["jobs"]


async def test_over_http_jobs_never_overlap_and_are_accounted_in_model_seconds() -> None:
    async with lending_pool("nocom-v1", costs=cost_model(FAKE_PROOFS, 0.001)) as p:
        escrows = [p.escrow()["address"] for _ in range(3)]
        await p.call("dev_getJobStats", [{"reset": True}])
        reads = [p.client.simulate_utility("get_collateral_and_debt", [e], p.pool) for e in escrows]
        batch = p.client.notes_many([(p.pool, e) for e in escrows])  # batches of syncs then reads: each item a job
        call, authwit = await p.liquidation(escrows[0], 1_000 * UNIT, nonce=1)
        send = p.client.send_tx([call], [authwit], p.liquidator)
        await asyncio.gather(*reads, batch, send)
        stats = await p.call("dev_getJobStats", [{"history": True}])
    history = sorted(stats["history"], key=lambda h: h["startedAt"])
    assert all(later["startedAt"] >= earlier["endedAt"] for earlier, later in zip(history, history[1:]))
    # 3 reads, then 3 sync_private_state (0.15 s each) and 3 more reads (0.43 s each) in two batches
    assert stats["jobs"]["pxe_simulateUtility"] == {"count": 9, "busySeconds": pytest.approx(3 * 0.15 + 6 * 0.43)}
    assert stats["jobs"]["pxe_sendTx"] == {"count": 1, "busySeconds": pytest.approx(2.68)}  # model seconds, not 2.68 ms
    assert stats["jobs"]["pxe_createAuthWit"]["count"] == 1
    assert stats["busySeconds"] == pytest.approx(3 * 0.15 + 6 * 0.43 + 2.68 + 0.02)
    assert stats["maxQueueWaitSeconds"] > 0 and (stats["costs"], stats["timeScale"]) == ("fake-proofs", 0.001)
