"""nocom-v1's feed keeps no time (docs/money-math.md, nocom-v1). An operator who is not the feed's admin runs
no price service (PRICE_SERVICE_URL empty): the engine uses the feed's prices as the contract does, and says at
start and in /health that their age is unknown. A price service configured but not answering is another
matter: no price has a known age, none is used, and /health says so instead of `healthy`.

The nocom-v1 development PXE over real HTTP (its feed read from public storage through the node), the note
monitor and the engine as ASGI apps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devnet.pxe.background import running_dev_pxe
from devnet.pxe.nocom_v1.admin import NocomAdmin
from services.liquidation_engine.app import create_app as create_engine_app
from services.liquidation_engine.monitor_client import MonitorClient
from services.liquidation_engine.service import LiquidationEngine
from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.app import create_app as create_monitor_app
from services.note_monitor.settings import NoteMonitorSettings
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY
from tests.services.liquidation_engine.engine_stack import KEY, LIQUIDATOR_KEY, Logs, until
from tests.services.liquidation_engine.test_api import closed_port_url

UNIT = 10**18


@dataclass
class NocomEngine:
    engine: LiquidationEngine
    http: httpx.AsyncClient
    admin: NocomAdmin
    under_water: str

    async def health(self) -> dict[str, Any]:
        return dict((await self.http.get("/health")).json())


@asynccontextmanager
async def nocom_engine(tmp_path: Path, price_service_url: str) -> AsyncIterator[NocomEngine]:
    async with running_dev_pxe(protocol="nocom-v1", block_time=0.05) as pxe:
        admin = pxe.admin
        assert isinstance(admin, NocomAdmin)
        demo = await admin.acall("dev_seedDemo", [{"escrows": 0}])
        eth_usdc = next(p["address"] for p in demo["pools"] if p["collateralAsset"] == "ETH")
        # 1 ETH at $3 400 with an 82.5 % threshold carries 2 805 USDC: 3 000 owed is under water.
        under_water = admin.create_escrow(eth_usdc, UNIT, 3_000 * UNIT, registered=True)["address"]
        monitor_settings = load_settings(NoteMonitorSettings, liquidation_api_key=TEST_API_KEY, pxe_url=pxe.url,
                                         protocol="nocom-v1", sync_interval=3600,
                                         database_url=f"sqlite+aiosqlite:///{tmp_path}/monitor.db")
        monitor_app = create_monitor_app(monitor_settings)
        async with monitor_app.router.lifespan_context(monitor_app), \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=monitor_app), base_url="http://monitor") as monitor:
            assert (await monitor.post("/escrows", json={"address": under_water}, headers=KEY)).status_code == 201
            settings = load_settings(
                LiquidationEngineSettings, liquidation_api_key=TEST_API_KEY, protocol="nocom-v1", pxe_url=pxe.url,
                price_feed_address=demo["feed"]["address"], price_service_url=price_service_url,
                liquidator_private_key=LIQUIDATOR_KEY, sweep_interval=3600, receipt_poll_interval=0.05,
                database_url=f"sqlite+aiosqlite:///{tmp_path}/engine.db")
            engine = LiquidationEngine(settings, monitor=MonitorClient("http://monitor", TEST_API_KEY, client=monitor))
            app = create_engine_app(settings, engine)
            async with app.router.lifespan_context(app), \
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://engine") as http:
                assert engine.sender.liquidator is not None
                admin.mint(demo["tokens"]["USDC"], engine.sender.liquidator, 10**6 * UNIT)
                yield NocomEngine(engine, http, admin, under_water)


async def liquidations(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    return list((await http.get("/liquidations", headers=KEY)).json()["liquidations"])


async def test_without_a_price_service_the_feed_is_used_as_the_contract_uses_it_and_its_age_is_unknown(
    tmp_path: Path, logs: Logs
) -> None:
    async with nocom_engine(tmp_path, price_service_url="") as s:
        [said] = logs.events("Feed age unknown")
        assert said["level"] == "warning" and "PRICE_SERVICE_URL" in said["reason"]
        s.engine.requests.everything()

        async def liquidated() -> bool:
            return any(x["status"] == "succeeded" and x["escrow"] == s.under_water for x in await liquidations(s.http))

        await until(liquidated, timeout=20, what="the under-water position liquidated at the feed's prices")
        [row] = [x for x in await liquidations(s.http) if x["status"] == "succeeded"]
        assert (row["collateralPrice"], row["debtPrice"]) == ("3400", "1")  # the feed's own prices, as the contract reads them
        body = await s.health()
        assert body["status"] == "healthy" and body["checks"]["feedAge"].startswith("unknown")
        assert body["checks"]["oracle"] == "ok"


async def test_a_price_service_that_does_not_answer_leaves_every_price_unavailable_and_health_says_so(
    tmp_path: Path, logs: Logs
) -> None:
    async with nocom_engine(tmp_path, price_service_url=closed_port_url()) as s:
        assert logs.events("Feed age unknown") == []
        await s.engine.checks.run_now()
        body = await s.health()
        assert body["status"] == "degraded", body
        assert body["checks"]["oracle"].startswith("price unavailable") and "ETH" in body["checks"]["oracle"]
        assert body["checks"]["feedAge"] == "known"
        assert await liquidations(s.http) == []  # no price nobody vouches for is used
