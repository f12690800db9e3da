"""Sending liquidations: attempts persisted before anything goes out, budgets, and every failure recorded."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from services.liquidation_engine.attempts import AttemptStore
from services.liquidation_engine.planning.budget import Plan
from services.liquidation_engine.sending import LAPSED, LiquidationSender
from shared.pxe.errors import PxeReverted, PxeUnreachable
from shared.pxe.fields import from_field
from tests.services.liquidation_engine.fakes import DEBT_TOKEN, POOL, FakePxe, Parts, escrow, finding, metric, parts


async def sender_for(tmp_path: Any, pxe: FakePxe) -> tuple[LiquidationSender, Parts]:
    p = await parts(tmp_path)
    sender = LiquidationSender(pxe, p.store, p.in_flight, p.outcomes, p.metrics, max_concurrent=4)  # type: ignore[arg-type]
    await sender.register("0x1")
    return sender, p


async def test_an_attempt_is_written_before_its_transaction_is_sent(tmp_path: Any) -> None:
    pxe = FakePxe()
    sender, p = await sender_for(tmp_path, pxe)
    rows_at_send: list[tuple[str, str]] = []

    async def look(targets: list[str]) -> None:
        rows = {r.escrow: r.status for r in await p.store.recent(10)}
        rows_at_send.extend((target, rows.get(target, "missing")) for target in targets)

    pxe.on_send = look
    sent = await sender.send([finding(1), finding(2)], accepted_at=None)
    assert sorted(rows_at_send) == [(escrow(1), "submitted"), (escrow(2), "submitted")]
    assert [s.attempt.plan.escrow for s in sent] == [escrow(1), escrow(2)]
    rows = await p.store.recent(10)
    assert {r.tx_hash for r in rows} == {s.tx_hash for s in sent}  # the hashes are durable once send returns
    assert escrow(1) in p.in_flight and p.in_flight.reserved[DEBT_TOKEN] == sum(s.attempt.plan.repay for s in sent)


async def test_the_most_at_risk_goes_out_alone_before_the_others_ask_for_authwits(tmp_path: Any) -> None:
    pxe = FakePxe()
    sender, _ = await sender_for(tmp_path, pxe)
    sent = await sender.send([finding(n) for n in range(1, 8)], accepted_at=None)
    assert len(sent) == 7 and pxe.sent[0][0] == escrow(1)
    assert pxe.calls[:2] == [("authwits", 1), ("sends", 1)]  # nothing else reached the PXE in between
    assert sorted(pxe.calls[2:]) == [("authwits", 6), ("sends", 6)]


async def test_the_liquidate_call_asserts_the_planned_repay_and_prices(tmp_path: Any) -> None:
    pxe = FakePxe()
    sender, _ = await sender_for(tmp_path, pxe)
    [sent] = await sender.send([finding(1)], accepted_at=None)
    target, args = pxe.sent[0]
    plan = sent.attempt.plan
    assert target == escrow(1)
    assert [from_field(args[0]), from_field(args[2]), from_field(args[3])] == [plan.repay, 55_000 * 10**8, 10**8]
    assert plan.repay == finding(1).debt // 2  # the close factor binds here


async def test_a_short_balance_skips_what_it_cannot_pay_for_and_cools_it_down(tmp_path: Any) -> None:
    first = finding(1)
    pxe = FakePxe(balances={DEBT_TOKEN: first.debt // 2 + 1})  # enough for one maximal repay only
    sender, p = await sender_for(tmp_path, pxe)
    sent = await sender.send([first, finding(2)], accepted_at=None)
    assert [s.attempt.plan.escrow for s in sent] == [escrow(1)]
    skipped = await p.store.recent(10, "skipped")
    assert [r.escrow for r in skipped] == [escrow(2)] and skipped[0].error.startswith("Insufficient debt-token balance")
    assert p.cooldowns.blocked(escrow(2)) and escrow(2) not in p.in_flight
    assert metric(p.metrics, "skipped") == 1


async def test_a_failed_authwit_sends_nothing_for_that_escrow(tmp_path: Any) -> None:
    pxe = FakePxe(authwit_failures={POOL: PxeReverted("Authwit refused")})
    sender, p = await sender_for(tmp_path, pxe)
    assert await sender.send([finding(1)], accepted_at=None) == []
    assert pxe.sent == []
    [row] = await p.store.recent(10)
    assert row.status == "failed" and row.error == "Authwit refused"
    assert escrow(1) not in p.in_flight and p.in_flight.reserved[DEBT_TOKEN] == 0


async def test_a_revert_at_send_is_a_failure_with_the_contracts_reason(tmp_path: Any) -> None:
    pxe = FakePxe(send_results={escrow(1): PxeReverted("Position healthy, cannot liquidate")})
    sender, p = await sender_for(tmp_path, pxe)
    assert await sender.send([finding(1), finding(2)], accepted_at=None) != []
    failed = await p.store.recent(10, "failed")
    assert [(r.escrow, r.error) for r in failed] == [(escrow(1), "Position healthy, cannot liquidate")]
    assert p.cooldowns.blocked(escrow(1)) and escrow(1) not in p.in_flight


async def test_an_unknown_send_outcome_is_never_resent_blindly(tmp_path: Any) -> None:
    pxe = FakePxe(send_results={escrow(1): PxeUnreachable("PXE timed out on pxe_sendTx")})
    sender, p = await sender_for(tmp_path, pxe)
    assert await sender.send([finding(1, version=7)], accepted_at=None) == []
    [row] = await p.store.recent(10)
    assert row.status == "unknown" and row.error.startswith("Send outcome unknown")
    assert row.collateral_before == str(finding(1).position.collateral_amount)
    assert escrow(1) in p.outcomes.unknown and escrow(1) not in p.in_flight
    assert p.rereads.pending(escrow(1), 7) and not p.rereads.pending(escrow(1), 8)  # a fresh read first


async def test_whatever_breaks_after_a_send_ends_recorded_never_in_a_crash(tmp_path: Any) -> None:
    pxe = FakePxe()

    async def malformed(*_args: Any) -> list[Any]:
        raise ValueError("a field element must be >= 0 and < 2**254")  # a 256-bit "hash" in the answer

    pxe.send_txs = malformed  # type: ignore[method-assign]
    sender, p = await sender_for(tmp_path, pxe)
    assert await sender.send([finding(1), finding(2)], accepted_at=None) == []
    assert [r.status for r in await p.store.recent(10)] == ["unknown", "unknown"]


async def test_an_unknown_outcome_is_settled_by_the_next_fresh_read(tmp_path: Any) -> None:
    pxe = FakePxe(send_results={escrow(1): PxeUnreachable("timed out"), escrow(2): PxeUnreachable("timed out")})
    sender, p = await sender_for(tmp_path, pxe)
    first, second = finding(1, version=7), finding(2, version=7)
    await sender.send([first, second], accepted_at=None)
    seized = p.outcomes.unknown[escrow(1)].plan.seized
    executed = replace(first.position, collateral_amount=first.position.collateral_amount - seized, version=8)
    assert not await p.outcomes.resolve_unknown(escrow(1), first.position)  # no fresh read yet
    assert await p.outcomes.resolve_unknown(escrow(1), executed)
    assert await p.outcomes.resolve_unknown(escrow(2), replace(second.position, version=8))
    rows = {r.escrow: r for r in await p.store.recent(10)}
    assert rows[escrow(1)].status == "succeeded"
    assert rows[escrow(2)].status == "failed" and rows[escrow(2)].error.startswith("Not executed")
    assert p.outcomes.unknown == {}


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
    assert sorted(s.attempt.plan.escrow for s in sent) == [escrow(1), escrow(3)]
    assert sorted(target for target, _ in pxe.sent) == [escrow(1), escrow(3)]
    assert escrow(2) not in p.in_flight and p.in_flight.reserved[DEBT_TOKEN] == sum(s.attempt.plan.repay for s in sent)
    assert p.metrics.registry.get_sample_value("liquidation_engine_claims_refused_total") == 1


async def test_an_engine_sends_its_own_share_first_and_nothing_once_its_lease_lapsed(tmp_path: Any) -> None:
    pxe = FakePxe()
    p = await parts(tmp_path)
    mine = {escrow(n) for n in (3, 5)}
    asked = [0]
    lapses_after = [10**9]

    def held() -> bool:
        asked[0] += 1
        return asked[0] <= lapses_after[0]

    sender = LiquidationSender(pxe, p.store, p.in_flight, p.outcomes, p.metrics, max_concurrent=4,  # type: ignore[arg-type]
                               may_claim=held, ours=lambda e: e in mine)
    await sender.register("0x1")
    await sender.send([finding(n) for n in range(1, 6)], accepted_at=None)
    assert [target for target, _ in pxe.sent][:2] == [escrow(3), escrow(5)] and len(pxe.sent) == 5
    pxe.sent.clear()
    asked[0], lapses_after[0] = 0, 1  # held when the check starts, lapsed before the send
    assert await sender.send([finding(6)], accepted_at=None) == [] and pxe.sent == []
    assert [(r.status, r.error) for r in await p.store.recent(20) if r.escrow == escrow(6)] == [("failed", LAPSED)]
    assert escrow(6) not in p.in_flight and not p.cooldowns.blocked(escrow(6))  # nothing went out: no cooldown
    other_engine = AttemptStore(p.store.db, instance="other")
    assert None not in await other_engine.claim([Plan(escrow(6), "0.9", 1, 1, 1, 1)])
    asked[0], lapses_after[0] = 0, 0
    assert await sender.send([finding(7)], accepted_at=None) == []  # nothing is even claimed now
    assert escrow(7) not in {r.escrow for r in await p.store.recent(30)}
