"""Sending liquidations: attempts persisted before anything goes out, each transaction's hash recorded
before it is sent, budgets, bundles, and every failure recorded (an in-memory PXE: what the engine does
with each answer; tests/services/liquidation_engine/test_bundles.py runs bundles on the development PXE)."""

from __future__ import annotations

from typing import Any

from services.liquidation_engine.attempts import AttemptStore
from services.liquidation_engine.planning.budget import Plan
from services.liquidation_engine.sending import LAPSED, LiquidationSender
from shared.pxe.errors import PxeReverted, PxeUnreachable
from shared.pxe.fields import from_field
from tests.services.liquidation_engine.fakes import (
    DEBT_TOKEN,
    POOL,
    FakePxe,
    Parts,
    escrow,
    finding,
    gateways,
    metric,
    parts,
)


async def sender_for(tmp_path: Any, pxe: FakePxe, **options: Any) -> tuple[LiquidationSender, Parts]:
    p = await parts(tmp_path)
    sender = LiquidationSender(gateways(pxe), p.outcomes, p.in_flight, p.metrics, **options)
    await sender.register("0x1")
    return sender, p


async def test_each_hash_is_recorded_before_its_transaction_is_sent(tmp_path: Any) -> None:
    pxe = FakePxe()
    sender, p = await sender_for(tmp_path, pxe)
    rows_at_send: list[tuple[str, str, str | None]] = []

    async def look(targets: list[str], tx_hash: str) -> None:
        rows = {r.escrow: r for r in await p.store.recent(10)}
        rows_at_send.extend((target, rows[target].status, rows[target].tx_hash == tx_hash and "recorded") for target in targets)

    pxe.on_send = look
    sent = await sender.send([finding(1), finding(2)], accepted_at=None)
    assert sorted(rows_at_send) == [(escrow(1), "submitted", "recorded"), (escrow(2), "submitted", "recorded")]
    [tx] = sent  # one transaction: both liquidations, each in its own row with the shared hash
    assert [a.plan.escrow for a in tx.attempts] == [escrow(1), escrow(2)]
    assert {r.tx_hash for r in await p.store.recent(10)} == {tx.tx_hash}
    assert escrow(1) in p.in_flight and p.in_flight.reserved[DEBT_TOKEN] == sum(a.plan.repay for a in tx.attempts)


async def test_bundles_carry_the_call_limit_the_most_at_risk_first(tmp_path: Any) -> None:
    pxe = FakePxe(max_calls=3)
    sender, _ = await sender_for(tmp_path, pxe)
    sent = await sender.send([finding(n) for n in range(1, 8)], accepted_at=None)
    assert [[a.plan.escrow for a in s.attempts] for s in sent] == [
        [escrow(1), escrow(2), escrow(3)], [escrow(4), escrow(5), escrow(6)], [escrow(7)]]
    assert [c for c in pxe.calls if c[0] == "proofs"] == [("proofs", 3), ("proofs", 3), ("proofs", 1)]
    # The first bundle is authorised alone and goes to its proof; the next two are authorised meanwhile.
    assert pxe.calls[:2] == [("authwits", 3), ("proofs", 3)] and pxe.calls[2:4] == [("authwits", 3), ("authwits", 1)]


async def test_the_liquidate_call_asserts_the_planned_repay_and_prices(tmp_path: Any) -> None:
    pxe = FakePxe()
    sender, _ = await sender_for(tmp_path, pxe)
    [sent] = await sender.send([finding(1)], accepted_at=None)
    target, args = pxe.sent[0]
    plan = sent.attempts[0].plan
    assert target == escrow(1)
    assert [from_field(args[0]), from_field(args[2]), from_field(args[3])] == [plan.repay, 55_000 * 10**8, 10**8]
    assert plan.repay == finding(1).debt // 2  # the close factor binds here


async def test_a_short_balance_skips_what_it_cannot_pay_for_and_cools_it_down(tmp_path: Any) -> None:
    first = finding(1)
    pxe = FakePxe(balances={DEBT_TOKEN: first.debt // 2 + 1})  # enough for one maximal repay only
    sender, p = await sender_for(tmp_path, pxe)
    sent = await sender.send([first, finding(2)], accepted_at=None)
    assert [a.plan.escrow for s in sent for a in s.attempts] == [escrow(1)]
    skipped = await p.store.recent(10, "skipped")
    assert [r.escrow for r in skipped] == [escrow(2)] and skipped[0].error.startswith("Insufficient debt-token balance")
    assert p.cooldowns.blocked(escrow(2)) and escrow(2) not in p.in_flight
    assert metric(p.metrics, "skipped") == 1


async def test_a_failed_authwit_sends_nothing_for_that_escrow(tmp_path: Any) -> None:
    pxe = FakePxe(authwit_failures={POOL: PxeReverted("Authwit refused")})
    sender, p = await sender_for(tmp_path, pxe)
    assert await sender.send([finding(1)], accepted_at=None) == []
    assert pxe.sent == [] and ("proofs", 1) not in pxe.calls
    [row] = await p.store.recent(10)
    assert row.status == "failed" and row.error == "Authwit refused"
    assert escrow(1) not in p.in_flight and p.in_flight.reserved[DEBT_TOKEN] == 0


async def test_a_bundle_that_reverts_is_halved_until_the_culprit_is_alone(tmp_path: Any) -> None:
    pxe = FakePxe(send_results={escrow(4): PxeReverted("Position healthy, cannot liquidate")})
    sender, p = await sender_for(tmp_path, pxe)
    sent = await sender.send([finding(n) for n in range(1, 6)], accepted_at=None)
    # [1..5] reverts; [1,2,3] proves; [4,5] reverts; [4] reverts: the culprit; [5] proves.
    assert [c[1] for c in pxe.calls if c[0] == "proofs"] == [5, 3, 2, 1, 1]
    assert [[a.plan.escrow for a in s.attempts] for s in sent] == [[escrow(1), escrow(2), escrow(3)], [escrow(5)]]
    failed = await p.store.recent(10, "failed")
    assert [(r.escrow, r.error, r.tx_hash) for r in failed] == [(escrow(4), "Position healthy, cannot liquidate", None)]
    assert p.cooldowns.blocked(escrow(4)) and escrow(4) not in p.in_flight
    assert p.metrics.registry.get_sample_value("liquidation_engine_bundle_reverts_total") == 2


async def test_a_revert_naming_one_escrow_drops_it_and_proves_the_rest_together(tmp_path: Any) -> None:
    pxe = FakePxe(send_results={escrow(2): PxeReverted(f"No note found for {escrow(2)}: its senders are not registered")})
    sender, p = await sender_for(tmp_path, pxe)
    sent = await sender.send([finding(n) for n in range(1, 5)], accepted_at=None)
    assert [c[1] for c in pxe.calls if c[0] == "proofs"] == [4, 3]
    assert [[a.plan.escrow for a in s.attempts] for s in sent] == [[escrow(1), escrow(3), escrow(4)]]
    assert [r.escrow for r in await p.store.recent(10, "failed")] == [escrow(2)]


async def test_a_price_mismatch_fails_the_bundle_without_hunting_a_culprit(tmp_path: Any) -> None:
    from services.liquidation_engine.outcomes import Outcomes

    pxe = FakePxe(send_results={escrow(1): PxeReverted("Price mismatch")})
    p = await parts(tmp_path)
    retried: list[str] = []
    outcomes = Outcomes(p.store, p.in_flight, p.cooldowns, p.rereads, p.metrics,
                        price_mismatch=frozenset({"Price mismatch"}), retry_now=retried.append)
    sender = LiquidationSender(gateways(pxe), outcomes, p.in_flight, p.metrics)
    await sender.register("0x1")
    assert await sender.send([finding(n) for n in range(1, 4)], accepted_at=None) == []
    assert [c for c in pxe.calls if c[0] == "proofs"] == [("proofs", 3)]  # one simulation
    assert sorted(retried) == [escrow(1), escrow(2), escrow(3)]  # each at once, with fresh prices


async def test_an_unconfirmed_send_is_followed_by_its_recorded_hash_never_resent(tmp_path: Any) -> None:
    pxe = FakePxe(send_failure=PxeUnreachable("PXE timed out on pxe_sendProvenTx"))
    sender, p = await sender_for(tmp_path, pxe)
    [sent] = await sender.send([finding(1, version=7)], accepted_at=None)
    [row] = await p.store.recent(10)
    assert row.status == "submitted" and row.tx_hash == sent.tx_hash  # its receipt decides
    assert escrow(1) in p.in_flight and [c[0] for c in pxe.calls].count("sends") == 1


async def test_a_proof_that_never_answers_sends_nothing_and_ends_recorded(tmp_path: Any) -> None:
    pxe = FakePxe()

    async def malformed(*_args: Any) -> str:
        raise ValueError("a field element must be >= 0 and < 2**254")  # a 256-bit "hash" in the answer

    pxe.prove_tx = malformed  # type: ignore[method-assign]
    sender, p = await sender_for(tmp_path, pxe)
    assert await sender.send([finding(1), finding(2)], accepted_at=None) == []
    rows = await p.store.recent(10)
    assert [r.status for r in rows] == ["failed", "failed"] and all(r.error.startswith("Not sent") for r in rows)
    assert not p.in_flight.escrows and p.in_flight.reserved[DEBT_TOKEN] == 0


async def test_an_escrow_in_flight_is_not_sent_twice(tmp_path: Any) -> None:
    pxe = FakePxe()
    sender, _ = await sender_for(tmp_path, pxe)
    assert len(await sender.send([finding(1)], accepted_at=None)) == 1
    assert await sender.send([finding(1)], accepted_at=None) == []
    assert len(pxe.sent) == 1


async def test_an_escrow_another_engine_holds_is_released_and_not_sent(tmp_path: Any) -> None:
    pxe = FakePxe()
    sender, p = await sender_for(tmp_path, pxe)
    other_engine = AttemptStore(p.store.db, instance="other")
    assert None not in await other_engine.claim([Plan(escrow(2), "0.9", 1, 1, 1, 1)])
    sent = await sender.send([finding(1), finding(2), finding(3)], accepted_at=None)
    assert sorted(a.plan.escrow for s in sent for a in s.attempts) == [escrow(1), escrow(3)]
    assert sorted(target for target, _ in pxe.sent) == [escrow(1), escrow(3)]
    assert escrow(2) not in p.in_flight
    assert p.in_flight.reserved[DEBT_TOKEN] == sum(a.plan.repay for s in sent for a in s.attempts)
    assert p.metrics.registry.get_sample_value("liquidation_engine_claims_refused_total") == 1


async def test_an_escrow_liquidated_by_another_engine_waits_for_a_view_that_has_seen_it(tmp_path: Any) -> None:
    pxe = FakePxe()
    sender, p = await sender_for(tmp_path, pxe)
    other_engine = AttemptStore(p.store.db, instance="other")
    [done] = await other_engine.claim([Plan(escrow(1), "0.9", 1, 1, 1, 1)], [5])
    assert done is not None
    await other_engine.finish(done, "succeeded", mined_block=6)  # mined in block 6; our view is of block 5
    assert await sender.send([finding(1, version=3)], accepted_at=None) == [] and pxe.sent == []
    assert p.rereads.pending(escrow(1), 3)  # read again (our own read, or the monitor's next version) first
    assert await p.store.claim([Plan(escrow(1), "0.9", 1, 1, 1, 1)], [6]) != [None]  # a view of block 6 may claim


async def test_an_engine_sends_its_own_share_first_and_nothing_once_its_lease_lapsed(tmp_path: Any) -> None:
    pxe = FakePxe(max_calls=2)
    mine = {escrow(n) for n in (3, 5)}
    asked = [0]
    lapses_after = [10**9]

    def held() -> bool:
        asked[0] += 1
        return asked[0] <= lapses_after[0]

    sender, p = await sender_for(tmp_path, pxe, may_claim=held, ours=lambda e: e in mine)
    await sender.send([finding(n) for n in range(1, 6)], accepted_at=None)
    assert [target for target, _ in pxe.sent][:2] == [escrow(3), escrow(5)] and len(pxe.sent) == 5
    pxe.sent.clear()
    asked[0], lapses_after[0] = 0, 2  # held when the check starts and at the claim, lapsed before the send
    assert await sender.send([finding(6)], accepted_at=None) == [] and pxe.sent == []
    [row] = [r for r in await p.store.recent(20) if r.escrow == escrow(6)]
    assert (row.status, row.error) == ("failed", LAPSED) and row.tx_hash  # proven and recorded, never sent
    assert escrow(6) not in p.in_flight and not p.cooldowns.blocked(escrow(6))  # nothing went out: no cooldown
    asked[0], lapses_after[0] = 0, 1  # lapsed before the claim: nothing is even claimed
    assert await sender.send([finding(7)], accepted_at=None) == []
    assert escrow(7) not in {r.escrow for r in await p.store.recent(30)} and escrow(7) not in p.in_flight
    asked[0], lapses_after[0] = 0, 0
    assert await sender.send([finding(8)], accepted_at=None) == []
    assert escrow(8) not in {r.escrow for r in await p.store.recent(30)}
