"""The liquidation engine end to end when prices move: exactly the unhealthy positions are liquidated,
once each, against a real anvil PriceOracle and the development PXE (the stack is engine_stack.py)."""

from __future__ import annotations

import asyncio
import time

from shared.protocols import reference
from tests.services.liquidation_engine.engine_stack import E18, P8, Logs, Stack, until


async def test_collateral_price_drop_liquidates_exactly_the_unhealthy_positions(engine: Stack, logs: Logs) -> None:
    s = engine
    weak = await s.escrow(E18, 46_000 * E18)  # hf 1.04 at 60 000, 0.956 at 55 000
    weaker = await s.escrow(E18, 46_500 * E18)
    healthy = await s.escrow(E18, 40_000 * E18)  # hf 1.1 at 55 000
    await s.set_prices(BTC=55_000 * P8)
    await s.notify_and_settle("BTC")

    rows = await s.liquidations()
    assert sorted(r["escrow"] for r in rows) == sorted([weak, weaker])
    assert {r["status"] for r in rows} == {"succeeded"}
    # Bundled: one transaction carries both, each its own row sharing the hash, the weaker first.
    (tx,) = s.pxe.state.txs.values()
    assert [c.to for c in tx.calls] == [weaker, weak] and {r["txHash"] for r in rows} == {tx.hash}
    for row in rows:
        principal = 46_000 * E18 if row["escrow"] == weak else 46_500 * E18
        debt = reference.total_debt(principal, reference.next_epoch(int(time.time())), int(time.time()))
        expected = reference.seizure(reference.max_repay(E18, 55_000 * P8, debt, P8), 55_000 * P8, P8)
        assert (row["repayAmount"], row["collateralSeized"]) == (str(expected.repay), str(expected.seized))
        assert (row["collateralPrice"], row["debtPrice"]) == ("55000", "1")
        assert row["txHash"].startswith("0x") and row["error"] is None
        collateral, left = await s.position(row["escrow"])
        assert collateral == E18 - expected.seized and left == debt - expected.repay
    assert await s.position(healthy) == (E18, 40_000 * E18)
    assert s.sends == 2 and s.txs_to(healthy) == 0

    assert logs.events("Price update notification")[-1]["assets"] == ["BTC"]
    done = logs.events("Liquidation executed successfully")
    assert sorted(e["escrow"] for e in done) == sorted([weak, weaker])
    assert {"txHash", "healthFactor", "repayAmount", "collateralSeized"} <= set(done[0])
    checked = {e["escrow"]: e for e in logs.events("Position checked")}
    assert checked[weaker]["liquidatable"] is True and checked[weaker]["healthFactor"].startswith("0.9")
    assert healthy not in checked  # healthy positions are logged at debug level only

    # The engine re-read the escrows: the next check finds nothing, and nothing more is sent.
    await s.notify_and_settle("BTC")
    assert s.sends == 2
    # Only the index's candidates are evaluated on a notification: the healthy position is not one.
    assert logs.events("No liquidatable positions found")[-1]["checked"] <= 2


async def test_debt_price_rise_liquidates_too(engine: Stack, logs: Logs) -> None:
    s = engine
    weak = await s.escrow(E18, 42_000 * E18)  # 48 000 risk-adjusted vs 50 400 debt value at USDC 1.2
    healthy = await s.escrow(E18, 30_000 * E18)
    await s.set_prices(USDC=120_000_000)
    await s.notify_and_settle("USDC")
    rows = await s.liquidations(status="succeeded")
    assert [r["escrow"] for r in rows] == [weak] and rows[0]["debtPrice"] == "1.2"
    collateral, principal = await s.position(weak)
    assert collateral < E18 and principal < 42_000 * E18
    assert await s.position(healthy) == (E18, 30_000 * E18)


async def test_bad_debt_without_collateral_is_skipped_not_paid(engine: Stack, logs: Logs) -> None:
    s = engine
    # No collateral left, debt outstanding: a repay small enough seizes 0, which the contract allows;
    # the engine must not give debt tokens away for nothing on every check.
    empty = await s.escrow(0, 1_000 * E18)
    await s.set_prices(BTC=55_000 * P8)
    await s.notify_and_settle("BTC")
    assert s.sends == 0 and s.txs_to(empty) == 0
    rows = await s.liquidations(status="skipped")
    assert [r["escrow"] for r in rows] == [empty] and "no collateral" in rows[0]["error"]
    assert logs.events("Liquidation skipped")[-1]["escrow"] == empty


async def test_a_burst_of_notifications_gives_one_attempt_per_escrow(engine: Stack) -> None:
    s = engine
    escrows = [await s.escrow(E18, (46_000 + i * 100) * E18) for i in range(3)]
    await s.set_prices(BTC=55_000 * P8)
    assert s.engine is not None
    responses = await asyncio.gather(*(s.notify("BTC") for _ in range(25)))
    assert {r.status_code for r in responses} == {202}
    await until(lambda: s.engine is not None and len(s.engine.in_flight) == 0 and s.sends >= 3, what="sends")
    await s.notify_and_settle("BTC")
    rows = await s.liquidations()
    assert sorted(r["escrow"] for r in rows) == sorted(escrows)
    assert s.sends == 3 and all(s.txs_to(e) == 1 for e in escrows)
