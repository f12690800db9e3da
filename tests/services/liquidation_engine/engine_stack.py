"""The liquidation engine's whole stack for the flow tests: a real anvil PriceOracle, the development PXE
over real HTTP (it checks the asserted prices against that oracle), the note monitor as an ASGI app,
and the engine started on it. The fixtures built from these are in conftest.py beside this module."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devnet.chain.local import LocalChain
from devnet.pxe.background import RunningDevPxe, running_dev_pxe
from devnet.pxe.costs import FAKE_PROOFS, CostModel, cost_model
from devnet.pxe.reference.server import ReferenceDevPxe
from services.liquidation_engine.app import create_app as create_engine_app
from services.liquidation_engine.monitor_client import MonitorClient
from services.liquidation_engine.service import LiquidationEngine
from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.app import create_app as create_monitor_app
from services.note_monitor.settings import NoteMonitorSettings
from shared.pxe.client import PxeClient
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY
from tests.fixtures.chain import EvmClients, evm_clients, fresh
from tests.fixtures.servers import serving

KEY = {"X-API-Key": TEST_API_KEY}
E18 = 10**18
P8 = 10**8
LIQUIDATOR_KEY = "0x0ec12e7000000000000000000000000000000000000000000000000000001234"


class Logs(io.StringIO):
    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        found = [json.loads(line) for line in self.getvalue().splitlines() if line.startswith("{")]
        return [e for e in found if name is None or e["event"] == name]


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
    monitor_url: str | None = None  # the monitor served on a real port too (engines as processes)

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
        """Liquidations the dev PXE received: the liquidate calls of every transaction sent to it."""
        return sum(1 for tx in list(self.pxe.state.txs.values()) for c in tx.calls if c.name == "liquidate")

    @property
    def proofs(self) -> int:
        """Transactions the engine asked the dev PXE to prove (a revert found by the simulation among them)."""
        return int(self.pxe.calls["pxe_proveTx"])


# A real PXE's cost of a transaction (devnet/pxe/costs.py, fake proofs), its reads free: sends take their time
# and queue one behind the other, so a kill can land in the middle of a burst, while reads stay instant.
FREE_READS = {name: 0.0 for name in ("pxe_simulateView", "sync_private_state", "pxe_simulateUtility", "pxe_getNotes",
                                     "note", "pxe_createAuthWit", "pxe_registerAccount", "pxe_registerContract",
                                     "pxe_registerSender", "node")}


def slow_sends(scale: float) -> CostModel:
    return cost_model(FAKE_PROOFS, scale, FREE_READS)


class SameNodeGateway(ReferenceDevPxe):
    """Another PXE gateway on the same node: its own PXE (its own job queue: one job at a time, its own
    costs) over the first one's chain state, which mines; the prices reader is the first one's to close."""

    async def close(self) -> None:
        return None


@asynccontextmanager
async def another_gateway(first: RunningDevPxe, costs: CostModel | None = None) -> AsyncIterator[RunningDevPxe]:
    running = RunningDevPxe(block_time=0)
    running.pxe = SameNodeGateway(first.state, first.pxe.prices, block_time=0, costs=costs)  # type: ignore[attr-defined]
    async with running:
        yield running


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
async def running_stack(tmp_path: Path, chain: LocalChain, oracle: str, *, block_time: float = 0.05,
                        serve_monitor: bool = False, **pxe_options: Any) -> AsyncIterator[Stack]:
    """`pxe_options`: the dev PXE's own (costs: a real PXE's cost model, max_calls)."""
    async with evm_clients(chain.url, chain.keys, oracle) as evm, \
            running_dev_pxe(rpc_url=chain.url, oracle_address=oracle, block_time=block_time, **pxe_options) as pxe:
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
        async with monitor_app.router.lifespan_context(monitor_app), \
                (serving(monitor_app, lifespan="off") if serve_monitor else nullcontext(None)) as monitor_url:
            transport = httpx.ASGITransport(app=monitor_app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://monitor") as monitor_http:
                yield Stack(pxe, evm, monitor_http, None, None, pool, btc, usdc, tmp_path, monitor_url)
        await monitor_pxe.close()
