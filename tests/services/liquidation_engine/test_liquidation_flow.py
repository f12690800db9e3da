"""The liquidation engine end to end: a real anvil PriceOracle, the development PXE over real HTTP
(it checks the asserted prices against that oracle), and the note monitor as an ASGI app."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from devnet.chain.local import LocalChain
from devnet.pxe.testing import RunningDevPxe, running_dev_pxe
from services.liquidation_engine.app import create_app as create_engine_app
from services.liquidation_engine.attempts import INTERRUPTED_ERROR, AttemptStore
from services.liquidation_engine.monitor_client import MonitorClient
from services.liquidation_engine.planning.budget import Plan
from services.liquidation_engine.service import LiquidationEngine
from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.app import create_app as create_monitor_app
from services.note_monitor.settings import NoteMonitorSettings
from shared import money
from shared.db import Database
from shared.logging import configure_logging
from shared.pxe.client import Call, PxeClient
from shared.pxe.fields import to_field
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY
from tests.fixtures.chain import EvmClients, evm_clients, fresh

KEY = {"X-API-Key": TEST_API_KEY}
E18 = 10**18
P8 = 10**8
LIQUIDATOR_KEY = "0x0ec12e7000000000000000000000000000000000000000000000000000001234"


class Logs(io.StringIO):
    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        found = [json.loads(line) for line in self.getvalue().splitlines() if line.startswith("{")]
        return [e for e in found if name is None or e["event"] == name]


@pytest.fixture
def logs() -> Logs:
    configure_logging("liquidation-engine", "info")
    buffer = Logs()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=buffer))
    return buffer


async def until(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class Stack:
    pxe: RunningDevPxe
    evm: EvmClients
    monitor_http: httpx.AsyncClient
    engine_http: httpx.AsyncClient | None
    engine: LiquidationEngine | None
    pool: str
    btc: str
    usdc: str
    tmp: Path

    async def escrow(self, collateral: int, principal: int) -> str:
        created = await self.pxe.admin.acall("dev_createEscrow", [self.pool, str(collateral), str(principal), {"registered": True}])
        r = await self.monitor_http.post("/escrows", json={"address": created["address"]}, headers=KEY)
        assert r.status_code == 201, r.text
        return str(created["address"])

    async def position(self, escrow: str) -> tuple[int, int]:
        p = await self.pxe.admin.acall("dev_getPosition", [escrow])
        return int(p["collateralAmount"]), int(p["loanPrincipal"])

    async def set_prices(self, **prices: int) -> None:
        await self.evm.oracle.set_prices(await fresh(self.evm.oracle, prices))

    async def notify(self, *assets: str) -> httpx.Response:
        assert self.engine_http is not None
        body = {"updates": [{"asset": a, "price": "1", "previousPrice": None, "timestamp": int(time.time()),
                             "txHash": "0x" + "ab" * 32} for a in assets]}
        return await self.engine_http.post("/price-update", json=body, headers=KEY)

    async def notify_and_settle(self, *assets: str) -> None:
        """Send a notification and wait until the check it causes and every attempt it starts are done."""
        assert self.engine is not None
        done = self.engine.checks.runs
        r = await self.notify(*assets)
        assert r.status_code == 202 and r.json() == {"accepted": len(assets)}
        await self.engine.checks.wait_for_run(done)
        await self.engine.follower.idle()

    async def liquidations(self, **query: Any) -> list[dict[str, Any]]:
        assert self.engine_http is not None
        r = await self.engine_http.get("/liquidations", params=query, headers=KEY)
        assert r.status_code == 200, r.text
        return r.json()["liquidations"]

    def txs_to(self, escrow: str) -> int:
        return sum(1 for tx in list(self.pxe.state.txs.values()) if any(c.to == escrow for c in tx.calls))

    @property
    def sends(self) -> int:
        return self.pxe.calls["pxe_sendTx"]


def engine_settings(stack_tmp: Path, pxe_url: str, chain: LocalChain, oracle: str, **overrides: Any) -> LiquidationEngineSettings:
    values: dict[str, Any] = dict(
        liquidation_api_key=TEST_API_KEY, database_url=f"sqlite+aiosqlite:///{stack_tmp}/engine.db", pxe_url=pxe_url,
        rpc_url=chain.url, oracle_address=oracle, liquidator_private_key=LIQUIDATOR_KEY, sweep_interval=3600,
        receipt_poll_interval=0.05, receipt_timeout=10, cooldown_base=0.05, cooldown_max=1, max_body_bytes=4096,
    )
    values.update(overrides)
    return load_settings(LiquidationEngineSettings, **values)


@asynccontextmanager
async def running_engine(stack: Stack, chain: LocalChain, oracle: str, **overrides: Any) -> AsyncIterator[Stack]:
    settings = engine_settings(stack.tmp, stack.pxe.url, chain, oracle, **overrides)
    service = LiquidationEngine(settings, monitor=MonitorClient("http://monitor", TEST_API_KEY, client=stack.monitor_http))
    app = create_engine_app(settings, service)
    async with app.router.lifespan_context(app):
        await service.checks.wait_for_run(0)  # the sweep at start
        await service.follower.idle()
        assert service.sender.liquidator is not None
        await stack.pxe.admin.acall("dev_mint", [stack.usdc, service.sender.liquidator, str(10**9 * E18)])
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://engine") as http:
            stack.engine, stack.engine_http = service, http
            try:
                yield stack
            finally:
                stack.engine, stack.engine_http = None, None


@asynccontextmanager
async def running_stack(tmp_path: Path, chain: LocalChain, oracle: str) -> AsyncIterator[Stack]:
    async with evm_clients(chain.url, chain.keys, oracle) as evm, \
            running_dev_pxe(rpc_url=chain.url, oracle_address=oracle, block_time=0.05) as pxe:
        await evm.oracle.set_prices(await fresh(evm.oracle, {"BTC": 60_000 * P8, "USDC": 1 * P8}))
        btc = await pxe.admin.acall("dev_createToken", ["BTC"])
        usdc = await pxe.admin.acall("dev_createToken", ["USDC"])
        pool = await pxe.admin.acall("dev_createPool", [btc, usdc, 7500, 8000])
        monitor_settings = load_settings(
            NoteMonitorSettings, liquidation_api_key=TEST_API_KEY, pxe_url=pxe.url, sync_interval=3600,
            database_url=f"sqlite+aiosqlite:///{tmp_path}/monitor.db",
        )
        monitor_pxe = PxeClient(pxe.url, timeout=5.0)
        monitor_app = create_monitor_app(monitor_settings, monitor_pxe)
        async with monitor_app.router.lifespan_context(monitor_app):
            transport = httpx.ASGITransport(app=monitor_app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://monitor") as monitor_http:
                yield Stack(pxe, evm, monitor_http, None, None, pool, btc, usdc, tmp_path)
        await monitor_pxe.close()


@pytest.fixture
async def stack(tmp_path: Path, local_chain: LocalChain, oracle_address: str, logs: Logs) -> AsyncIterator[Stack]:
    async with running_stack(tmp_path, local_chain, oracle_address) as s:
        yield s


@pytest.fixture
async def engine(stack: Stack, local_chain: LocalChain, oracle_address: str) -> AsyncIterator[Stack]:
    async with running_engine(stack, local_chain, oracle_address) as s:
        yield s


# --- liquidations -------------------------------------------------------------------------------

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
    assert [r["escrow"] for r in rows[::-1]] == [weaker, weak]  # the weaker went first; newest first in the list
    for row in rows:
        principal = 46_000 * E18 if row["escrow"] == weak else 46_500 * E18
        debt = money.total_debt(principal, money.next_epoch(int(time.time())), int(time.time()))
        expected = money.seizure(money.max_repay(E18, 55_000 * P8, debt, P8), 55_000 * P8, P8)
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
    assert logs.events("No liquidatable positions found")[-1]["checked"] == 3


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
        assert len(await s.liquidations()) == 1 and s.sends == 1

        await asyncio.sleep(1.1)
        await s.notify_and_settle("BTC")  # after it: tried again, and the next cooldown is longer
        failed = logs.events("Liquidation failed")
        assert len(failed) == 2 and s.sends == 2
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
    debt = money.total_debt(46_500 * E18, money.next_epoch(now), now)
    plan_out = money.seizure(money.max_repay(E18, 55_000 * P8, debt, P8), 55_000 * P8, P8)
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
