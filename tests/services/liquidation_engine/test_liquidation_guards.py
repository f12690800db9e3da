"""The liquidation engine end to end when it must hold back: a revert's cooldown, stale prices and dry
run, against a real anvil PriceOracle and the development PXE (the stack is engine_stack.py)."""

from __future__ import annotations

import asyncio

from devnet.chain.local import LocalChain
from tests.services.liquidation_engine.engine_stack import E18, P8, Logs, Stack, running_engine


async def test_a_revert_is_logged_and_retried_only_after_the_cooldown(
    stack: Stack, local_chain: LocalChain, oracle_address: str, logs: Logs
) -> None:
    async with running_engine(stack, local_chain, oracle_address, cooldown_base=1.0, cooldown_max=8) as s:
        escrow = await s.escrow(E18, 46_000 * E18)
        # The borrower adds collateral; the monitor has not synced yet, so the engine's copy is stale.
        await s.pxe.admin.acall("dev_setPosition", [escrow, str(2 * E18), str(46_000 * E18)])
        await s.set_prices(BTC=55_000 * P8)
        await s.notify_and_settle("BTC")
        failed = logs.events("Liquidation failed")
        assert len(failed) == 1 and failed[0]["error"] == "Position healthy, cannot liquidate"
        assert failed[0]["escrow"] == escrow and failed[0]["healthFactor"].startswith("0.9")
        rows = await s.liquidations(status="failed")
        assert len(rows) == 1 and rows[0]["error"] == "Position healthy, cannot liquidate" and rows[0]["txHash"] is None

        await s.notify_and_settle("BTC")  # inside the cooldown: no new attempt
        assert len(await s.liquidations()) == 1 and s.proofs == 1 and s.sends == 0

        await asyncio.sleep(1.1)
        await s.notify_and_settle("BTC")  # after it: tried again, and the next cooldown is longer
        failed = logs.events("Liquidation failed")
        assert len(failed) == 2 and s.proofs == 2 and s.sends == 0
        assert failed[1]["retryInSeconds"] == 2 * failed[0]["retryInSeconds"]
        assert await s.position(escrow) == (2 * E18, 46_000 * E18)


async def test_stale_prices_liquidate_nothing(stack: Stack, local_chain: LocalChain, oracle_address: str, logs: Logs) -> None:
    async with running_engine(stack, local_chain, oracle_address, price_heartbeat=0.5) as s:
        escrow = await s.escrow(E18, 47_000 * E18)
        await s.set_prices(BTC=55_000 * P8, USDC=P8)
        await asyncio.sleep(2.2)  # older than 2 x PRICE_HEARTBEAT (block timestamps are whole seconds)
        await s.notify_and_settle("BTC")
        stale = {e["asset"]: e for e in logs.events("Price stale")}
        assert {"BTC", "USDC"} <= set(stale) and stale["BTC"]["updatedAt"] > 0
        assert s.sends == 0 and s.pxe.calls["pxe_createAuthWit"] == 0
        assert await s.liquidations() == [] and await s.position(escrow) == (E18, 47_000 * E18)


async def test_dry_run_decides_and_logs_but_sends_nothing(stack: Stack, local_chain: LocalChain, oracle_address: str,
                                                          logs: Logs) -> None:
    async with running_engine(stack, local_chain, oracle_address, dry_run=True) as s:
        escrow = await s.escrow(E18, 47_000 * E18)
        await s.set_prices(BTC=55_000 * P8)
        await s.notify_and_settle("BTC")
        (decided,) = logs.events("Liquidation dry run")
        assert decided["escrow"] == escrow and int(decided["repayAmount"]) > 0
        assert s.sends == 0 and s.pxe.calls["pxe_createAuthWit"] == 0
        assert await s.liquidations() == [] and await s.position(escrow) == (E18, 47_000 * E18)
