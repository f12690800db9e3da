"""The liquidation engine end to end across restarts: attempts a previous process left in flight are
resolved from their receipts or re-read, never blindly resent (the stack is engine_stack.py)."""

from __future__ import annotations

import time

from devnet.chain.local import LocalChain
from services.liquidation_engine.attempts import INTERRUPTED_ERROR, AttemptStore
from services.liquidation_engine.planning.budget import Plan
from shared.db import Database
from shared.protocols import reference
from shared.pxe.client import Call, PxeClient
from shared.pxe.fields import to_field
from tests.services.liquidation_engine.engine_stack import E18, LIQUIDATOR_KEY, P8, Logs, Stack, running_engine, until


async def test_restart_resolves_an_attempt_in_flight_from_its_receipt(
    stack: Stack, local_chain: LocalChain, oracle_address: str, logs: Logs
) -> None:
    s = stack
    sent = await s.escrow(E18, 46_500 * E18)
    interrupted = await s.escrow(E18, 30_000 * E18)
    await s.set_prices(BTC=55_000 * P8)

    # What a previous process did before kill -9: persisted, sent, recorded the hash; and one
    # attempt persisted whose send never returned a hash.
    now = int(time.time())
    debt = reference.total_debt(46_500 * E18, reference.next_epoch(now), now)
    plan_out = reference.seizure(reference.max_repay(E18, 55_000 * P8, debt, P8), 55_000 * P8, P8)
    async with PxeClient(s.pxe.url) as pxe:
        liquidator = await pxe.register_account(LIQUIDATOR_KEY)
        await s.pxe.admin.acall("dev_mint", [s.usdc, liquidator, str(10**6 * E18)])
        nonce = 424242
        authwit = await pxe.create_authwit(liquidator, s.pool, Call(
            "transfer_private_to_public", s.usdc, [to_field(liquidator), to_field(s.pool), to_field(plan_out.repay), to_field(nonce)]))
        tx_hash = await pxe.send_tx([Call("liquidate", sent, [to_field(plan_out.repay), to_field(nonce),
                                                               to_field(55_000 * P8), to_field(P8)])], [authwit], liquidator)
    db = Database(f"sqlite+aiosqlite:///{s.tmp}/engine.db")
    store = AttemptStore(db)
    await store.init()
    first, second = await store.add([
        Plan(sent, "0.9361", plan_out.repay, plan_out.seized, 55_000 * P8, P8),
        Plan(interrupted, "0.9000", 1, 1, 55_000 * P8, P8),
    ])
    await store.set_tx_hash(first, tx_hash)
    await db.close()
    assert s.sends == 1

    async with running_engine(s, local_chain, oracle_address) as e:
        await until(lambda: e.engine is not None and not e.engine.in_flight, what="resolution")
        await e.notify_and_settle("BTC")
        rows = {r["id"]: r for r in await e.liquidations()}
        assert rows[first]["status"] == "succeeded" and rows[first]["txHash"] == tx_hash
        assert rows[second]["status"] == "failed" and rows[second]["error"] == INTERRUPTED_ERROR
        assert len(rows) == 2 and e.sends == 1 and e.txs_to(sent) == 1 and e.txs_to(interrupted) == 0
        collateral, _ = await e.position(sent)
        assert collateral == E18 - plan_out.seized
    assert [x["escrow"] for x in logs.events("Liquidation executed successfully")] == [sent]


async def test_an_interrupted_attempt_is_reread_before_it_is_tried_again(
    stack: Stack, local_chain: LocalChain, oracle_address: str, logs: Logs
) -> None:
    s = stack
    escrow = await s.escrow(E18, 46_000 * E18)  # unhealthy at 55 000
    await s.set_prices(BTC=55_000 * P8)
    # A previous process persisted an attempt, then died before its send returned a hash.
    db = Database(f"sqlite+aiosqlite:///{s.tmp}/engine.db")
    store = AttemptStore(db)
    await store.init()
    (interrupted,) = await store.add([Plan(escrow, "0.9565", 1, 1, 55_000 * P8, P8)])
    await db.close()

    async with running_engine(s, local_chain, oracle_address) as e:
        await e.notify_and_settle("BTC")  # finds it, but must read it from the PXE first
        await until(lambda: e.sends >= 1, what="the retry after the re-read")
        await e.notify_and_settle("BTC")
        rows = await e.liquidations()
        assert [r["status"] for r in rows if r["id"] == interrupted] == ["failed"]
        assert [r["status"] for r in rows if r["id"] != interrupted] == ["succeeded"]
        assert e.sends == 1 and e.txs_to(escrow) == 1
    assert not logs.events("Check failed")
