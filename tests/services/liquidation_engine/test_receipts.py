"""Following receipts: every sent liquidation ends recorded, unlocked and looked at again."""

from __future__ import annotations

from typing import Any

from services.liquidation_engine.attempts import INTERRUPTED_ERROR
from services.liquidation_engine.bundles import Attempt, Sent
from services.liquidation_engine.check_requests import CheckRequests
from services.liquidation_engine.planning.budget import plan_for
from services.liquidation_engine.position_copy import PositionCopy
from services.liquidation_engine.receipts import ReceiptConfig, ReceiptFollower
from shared.pxe.client import Notes, TxReceipt
from shared.pxe.errors import PxeUnreachable
from tests.services.liquidation_engine.fakes import (
    DEBT_TOKEN,
    E18,
    FakeMonitor,
    FakePxe,
    Parts,
    escrow,
    finding,
    gateways,
    metric,
    parts,
    position,
)

TX = "0x" + "12" * 32


async def follower_for(tmp_path: Any, pxe: FakePxe) -> tuple[ReceiptFollower, Parts, PositionCopy, CheckRequests, list[int]]:
    p = await parts(tmp_path)
    wakes: list[int] = []
    requests = CheckRequests(wake=lambda: wakes.append(1))
    roles = gateways(pxe)
    copy = PositionCopy(None, roles.read, p.rereads)  # type: ignore[arg-type]
    follower = ReceiptFollower(roles.read, p.store, p.outcomes, copy, FakeMonitor(), requests,  # type: ignore[arg-type]
                               ReceiptConfig(timeout=1, poll_interval=0.001, backoff_max=0.01, dropped_grace=0.05))
    return follower, p, copy, requests, wakes


async def sent_attempt(p: Parts, n: int, **kwargs: Any) -> Sent:
    f = finding(n, **kwargs)
    plan = plan_for(f)
    [attempt_id] = await p.store.add([plan])
    p.in_flight.lock(plan.escrow)
    p.in_flight.reserve(DEBT_TOKEN, plan.repay)
    await p.store.set_tx_hash(attempt_id, TX)
    return Sent((Attempt(f, plan, attempt_id),), TX)


async def test_a_mined_liquidation_succeeds_is_reread_and_looked_at_again(tmp_path: Any) -> None:
    pxe = FakePxe(notes={escrow(1): Notes(E18 // 2, 23_000 * E18, 3)}, block=50)
    follower, p, copy, requests, wakes = await follower_for(tmp_path, pxe)
    copy.put(position(1, version=4))
    sent = await sent_attempt(p, 1, version=4)
    follower.follow_all([sent])
    await follower.idle(5)
    [row] = await p.store.recent(5)
    assert row.status == "succeeded" and row.tx_hash == TX and row.mined_block == 50
    assert metric(p.metrics, "succeeded") == 1
    reread = copy.get(escrow(1))
    assert reread is not None and (reread.collateral_amount, reread.debt_principal, reread.block_number) == (E18 // 2, 23_000 * E18, 50)
    assert not p.rereads.pending(escrow(1), 4)  # our own read satisfied it
    assert escrow(1) not in p.in_flight and p.in_flight.reserved[DEBT_TOKEN] == 0
    assert requests.take().escrows == {escrow(1)} and wakes
    assert follower.monitor.sync_requests == 1  # type: ignore[attr-defined]


async def test_a_reverted_liquidation_fails_cools_down_and_is_looked_at_again(tmp_path: Any) -> None:
    pxe = FakePxe(receipts={TX: [TxReceipt("reverted", "Price mismatch", 11)]})
    follower, p, _, requests, _ = await follower_for(tmp_path, pxe)
    follower.follow_all([await sent_attempt(p, 1)])
    await follower.idle(5)
    [row] = await p.store.recent(5)
    assert row.status == "failed" and row.error == "Price mismatch"
    assert p.cooldowns.blocked(escrow(1)) and escrow(1) not in p.in_flight
    assert requests.take().escrows == {escrow(1)}


async def test_a_slow_or_unreachable_receipt_is_followed_until_it_is_final(tmp_path: Any) -> None:
    pxe = FakePxe(receipts={TX: [PxeUnreachable("down"), TimeoutErrorReceipt(), TxReceipt("success", block_number=3)]})
    follower, p, _, _, _ = await follower_for(tmp_path, pxe)
    follower.follow_all([await sent_attempt(p, 1)])
    await follower.idle(5)
    assert [r.status for r in await p.store.recent(5)] == ["succeeded"]


async def test_resume_follows_sent_attempts_and_fails_unsent_ones_without_resending(tmp_path: Any) -> None:
    pxe = FakePxe()
    follower, p, copy, _, _ = await follower_for(tmp_path, pxe)
    copy.put(position(2, version=6))
    sent = await sent_attempt(p, 1)
    p.in_flight.unlock(escrow(1))  # a new process: nothing in memory
    [unsent_id] = await p.store.add([plan_for(finding(2))])
    assert await follower.resume() == 1
    assert escrow(1) in p.in_flight
    await follower.idle(5)
    rows = {r.id: r for r in await p.store.recent(5)}
    assert rows[sent.attempts[0].attempt_id].status == "succeeded"
    assert rows[unsent_id].status == "failed" and rows[unsent_id].error == INTERRUPTED_ERROR
    assert p.rereads.pending(escrow(2), 6) and not p.cooldowns.blocked(escrow(2))


class TimeoutErrorReceipt(PxeUnreachable):
    """Stands for a poll that timed out while the tx was still pending."""

    def __init__(self) -> None:
        super().__init__("still pending")


async def test_a_price_mismatch_is_retried_at_once_a_few_times_then_cools_down(tmp_path: Any) -> None:
    from services.liquidation_engine.outcomes import Outcomes
    from services.liquidation_engine.planning.holds import QUICK_RETRIES

    pxe = FakePxe()
    follower, p, _, requests, _ = await follower_for(tmp_path, pxe)
    retried: list[str] = []
    follower.outcomes = Outcomes(p.store, p.in_flight, p.cooldowns, p.rereads, p.metrics,
                                 price_mismatch=frozenset({"Price mismatch"}), retry_now=retried.append)
    for attempt in range(QUICK_RETRIES + 1):
        pxe.receipts[TX] = [TxReceipt("reverted", "Price mismatch", 11)]
        follower.follow_all([await sent_attempt(p, 1)])
        await follower.idle(5)
        cooling = p.cooldowns.blocked(escrow(1))
        assert cooling is (attempt == QUICK_RETRIES), attempt
    assert retried == [escrow(1)] * QUICK_RETRIES


async def test_a_bundle_settles_each_of_its_liquidations_from_its_one_receipt(tmp_path: Any) -> None:
    pxe = FakePxe(receipts={TX: [TxReceipt("success", block_number=12)]})
    follower, p, _, requests, _ = await follower_for(tmp_path, pxe)
    bundle = [await sent_attempt(p, n) for n in (1, 2, 3)]
    follower.follow_sent(Sent(tuple(s.attempts[0] for s in bundle), TX))
    await follower.idle(5)
    rows = await p.store.recent(5)
    assert [(r.status, r.tx_hash, r.mined_block) for r in rows] == [("succeeded", TX, 12)] * 3
    assert pxe.receipts[TX] == [] and requests.take().escrows == {escrow(1), escrow(2), escrow(3)}
    assert not p.in_flight.escrows and p.in_flight.reserved[DEBT_TOKEN] == 0


async def test_a_dropped_receipt_is_believed_only_once_it_stays_dropped(tmp_path: Any) -> None:
    late = "0x" + "13" * 32
    pxe = FakePxe(receipts={TX: [TxReceipt("dropped"), TxReceipt("dropped")],
                            late: [TxReceipt("dropped"), TxReceipt("success", block_number=4)]})
    follower, p, _, _, _ = await follower_for(tmp_path, pxe)
    never = await sent_attempt(p, 1)  # recorded, then the engine died before sending it
    arrived = await sent_attempt(p, 2)  # its send reached the node a moment after the first receipt
    await p.store.set_tx_hash(arrived.attempts[0].attempt_id, late)
    follower.follow_all([never, Sent(arrived.attempts, late)])
    await follower.idle(5)
    rows = {r.escrow: r for r in await p.store.recent(5)}
    assert (rows[escrow(1)].status, rows[escrow(1)].error) == ("failed", "Transaction dropped")
    assert rows[escrow(2)].status == "succeeded"
