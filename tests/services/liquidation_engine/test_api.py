"""The engine's HTTP surface and settings: auth, body validation, listing, health, metrics, coalescing.

The PXE and the note monitor are simply not running here (closed ports): the engine must start,
serve and report itself degraded. End-to-end liquidations are in test_liquidation_*.py.
"""

from __future__ import annotations

import asyncio
import io
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from devnet.static_prices import StaticPrices
from services.liquidation_engine.app import create_app
from services.liquidation_engine.monitor_client import MonitorClient
from services.liquidation_engine.planning.budget import Plan
from services.liquidation_engine.service import LiquidationEngine
from services.liquidation_engine.settings import LiquidationEngineSettings
from shared.feeds.onchain_price import OnChainPrice
from shared.logging import configure_logging
from shared.positions import Position
from shared.pxe.client import PxeClient
from shared.settings import SettingsError, load_settings
from tests.conftest import OTHER_API_KEY, TEST_API_KEY

KEY = {"X-API-Key": TEST_API_KEY}
LIQUIDATOR_KEY = "0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def update(asset: str = "BTC", **overrides: Any) -> dict[str, Any]:
    body = {"asset": asset, "price": "97000.5", "previousPrice": "96400.1", "timestamp": 1_750_000_000,
            "txHash": "0x" + "ab" * 32}
    body.update(overrides)
    return body


class GatedPrices(StaticPrices):
    """Oracle reads that wait for a gate, so a check can be held open while notifications arrive."""

    def __init__(self) -> None:
        super().__init__({"BTC": OnChainPrice(10**8, 1)})
        self.gate = asyncio.Event()
        self.gate.set()
        self.reads = 0

    async def read(self, symbols: list[str]) -> dict[str, OnChainPrice]:
        self.reads += 1
        await self.gate.wait()
        return await super().read(symbols)


@pytest.fixture
def logs() -> io.StringIO:
    configure_logging("liquidation-engine")
    buffer = io.StringIO()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=buffer))
    return buffer


def events(buffer: io.StringIO, name: str) -> list[dict[str, Any]]:
    return [e for e in (json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{"))
            if e["event"] == name]


@pytest.fixture
async def engine(tmp_path: Path, logs: io.StringIO) -> AsyncIterator[tuple[LiquidationEngine, httpx.AsyncClient]]:
    settings = load_settings(
        LiquidationEngineSettings, liquidation_api_key=f"{TEST_API_KEY},{OTHER_API_KEY}",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/engine.db", pxe_url=closed_port_url(),
        note_monitor_url=closed_port_url(), oracle_address="0x" + "11" * 20, liquidator_private_key=LIQUIDATOR_KEY,
        sweep_interval=3600,
    )
    service = LiquidationEngine(settings, price_reader=GatedPrices(), pxe=PxeClient(settings.pxe_url, read_attempts=1),
                                monitor=MonitorClient(settings.note_monitor_url, TEST_API_KEY, attempts=1))
    app = create_app(settings, service)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://engine") as http:
            yield service, http
    await service.pxe.close()
    await service.monitor.close()


async def test_state_changing_and_position_routes_need_a_valid_key(engine: Any, logs: io.StringIO) -> None:
    _, http = engine
    body = {"updates": [update()]}
    for headers in ({}, {"X-API-Key": "wrong-key-" + "x" * 30}):
        r = await http.post("/price-update", json=body, headers=headers)
        assert (r.status_code, r.json()) == (401, {"error": "Unauthorized"})
        assert (await http.get("/liquidations", headers=headers)).status_code == 401
    unauthorized = events(logs, "Unauthorized")
    assert len(unauthorized) == 4 and unauthorized[0]["path"] == "/price-update" and unauthorized[0]["method"] == "POST"
    assert "wrong-key" not in logs.getvalue()
    for key in (TEST_API_KEY, OTHER_API_KEY):  # both rotated keys are valid
        r = await http.post("/price-update", json=body, headers={"X-API-Key": key})
        assert (r.status_code, r.json()) == (202, {"accepted": 1})
    assert (await http.get("/health")).status_code == 200
    assert (await http.get("/metrics")).status_code == 200


async def test_price_update_accepts_up_to_100_and_logs_the_assets(engine: Any, logs: io.StringIO) -> None:
    _, http = engine
    updates = [update("BTC"), update("eth", previousPrice=None), *[update(f"A{i}") for i in range(98)]]
    r = await http.post("/price-update", json={"updates": updates}, headers=KEY)
    assert (r.status_code, r.json()) == (202, {"accepted": 100})
    assets = events(logs, "Price update notification")[-1]["assets"]
    assert assets[:2] == ["BTC", "ETH"] and len(assets) == 100


@pytest.mark.parametrize("body", [
    {"updates": [update() for _ in range(101)]},
    {"updates": []},
    {},
    {"updates": [update("BTC-X")]},
    {"updates": [update("")]},
    {"updates": [update("A" * 16)]},
    {"updates": [update(price=97000.5)]},
    {"updates": [update(price="97,000")]},
    {"updates": [update(price="-1")]},
    {"updates": [update(previousPrice="NaN")]},
    {"updates": [update(txHash="0xzz")]},
    {"updates": [update(txHash="ab" * 32)]},
    {"updates": [update(timestamp="1750000000")]},
    {"updates": [update(timestamp=-1)]},
    {"updates": "BTC"},
])
async def test_bad_price_update_bodies_are_422(engine: Any, body: dict[str, Any]) -> None:
    _, http = engine
    r = await http.post("/price-update", json=body, headers=KEY)
    assert r.status_code == 422, r.text
    assert isinstance(r.json()["error"], str)


async def test_invalid_json_is_400_and_an_oversized_body_413(engine: Any) -> None:
    _, http = engine
    r = await http.post("/price-update", content=b'{"updates": [', headers={**KEY, "content-type": "application/json"})
    assert (r.status_code, r.json()) == (400, {"error": "Invalid JSON body"})
    big = json.dumps({"updates": [update(txHash="0x" + "ab" * 32)] * 400}).encode()
    r = await http.post("/price-update", content=big, headers={**KEY, "content-type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["error"]


async def test_liquidations_are_listed_newest_first_and_filtered(engine: Any) -> None:
    service, http = engine
    ids = await service.store.add([Plan("0x" + "01" * 32, "0.9500", 5 * 10**20, 10**16, 9_700_050_000_000, 10**8)])
    ids += await service.store.add([Plan("0x" + "02" * 32, "0.8000", 7, 8, 10**8, 120_000_000)], status="skipped",
                                   errors=["Insufficient debt-token balance: have 0, need 7"])
    await service.store.set_tx_hash(ids[0], "0x" + "cd" * 32)
    await service.store.finish(ids[0], "succeeded")

    r = await http.get("/liquidations", headers=KEY)
    rows = r.json()["liquidations"]
    assert [x["id"] for x in rows] == ids[::-1]
    assert rows[1] == {
        "id": ids[0], "escrow": "0x" + "01" * 32, "status": "succeeded", "healthFactor": "0.9500",
        "repayAmount": "500000000000000000000", "collateralSeized": "10000000000000000", "collateralPrice": "97000.5",
        "debtPrice": "1", "txHash": "0x" + "cd" * 32, "error": None,
        "createdAt": rows[1]["createdAt"], "updatedAt": rows[1]["updatedAt"],
    }
    assert rows[0]["status"] == "skipped" and rows[0]["debtPrice"] == "1.2" and rows[0]["error"].startswith("Insufficient")
    only = (await http.get("/liquidations", params={"status": "skipped", "limit": 5}, headers=KEY)).json()["liquidations"]
    assert [x["id"] for x in only] == [ids[1]]
    assert len((await http.get("/liquidations", params={"limit": 1}, headers=KEY)).json()["liquidations"]) == 1
    assert (await http.get("/liquidations?status=", headers=KEY)).status_code == 200
    for params in ({"limit": 0}, {"limit": 501}, {"limit": "x"}, {"status": "pending"}):
        r = await http.get("/liquidations", params=params, headers=KEY)
        assert r.status_code == 422, params


async def test_health_is_degraded_without_pxe_and_monitor_and_unhealthy_without_database(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, http = engine
    r = await http.get("/health")
    body = r.json()
    assert r.status_code == 200
    assert {k: body[k] for k in ("status", "service", "pxeConnected", "noteMonitorReachable", "positionsTracked",
                                 "liquidationsSucceeded", "liquidationsFailed")} == {
        "status": "degraded", "service": "liquidation-engine", "pxeConnected": False, "noteMonitorReachable": False,
        "positionsTracked": 0, "liquidationsSucceeded": 0, "liquidationsFailed": 0}
    assert "lastCheckAt" in body

    async def broken() -> dict[str, int]:
        raise OSError("database is gone")

    monkeypatch.setattr(service.store, "counts", broken)
    r = await http.get("/health")
    assert r.status_code == 503 and r.json()["status"] == "unhealthy"


async def test_notifications_during_a_check_are_coalesced_into_one_next_check(engine: Any) -> None:
    service, http = engine
    checks, reader = service.checks, service.prices.reader
    service.positions.version = 0  # a loaded (empty) copy, so the check reads prices for the pair below
    service.positions.put(Position("0x01", "0xp", "BTC", "0xc", 10**18, "BTC", "0xd", 1, 0, 8000, 0, 0, 1))
    await asyncio.wait_for(_settled(checks), 5)
    reader.gate.clear()
    done, reads_before = checks.runs, reader.reads
    await http.post("/price-update", json={"updates": [update()]}, headers=KEY)
    await asyncio.wait_for(_until_read(reader, reads_before), 5)  # the notification's check is held at the read
    reads_before = reader.reads
    await asyncio.gather(*(http.post("/price-update", json={"updates": [update()]}, headers=KEY) for _ in range(30)))
    reader.gate.set()
    await checks.wait_for_run(done + 1)
    await asyncio.sleep(0.2)
    assert checks.runs == done + 2  # the held check, then ONE for all 30 that came during it
    assert reader.reads == reads_before + 1


async def _until_read(reader: GatedPrices, reads: int) -> None:
    while reader.reads == reads:
        await asyncio.sleep(0.01)


async def _settled(checks: Any) -> None:
    while checks.runs == 0:
        await asyncio.sleep(0.01)


def test_settings_defaults_and_production_requirements(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIQUIDATION_API_KEY", TEST_API_KEY)
    with pytest.raises(SettingsError, match="ORACLE_ADDRESS"):
        load_settings(LiquidationEngineSettings, liquidator_private_key=LIQUIDATOR_KEY)
    with pytest.raises(SettingsError, match="LIQUIDATOR_PRIVATE_KEY") as err:
        load_settings(LiquidationEngineSettings, oracle_address="0x" + "11" * 20)
    with pytest.raises(SettingsError, match="LIQUIDATOR_PRIVATE_KEY") as err:
        load_settings(LiquidationEngineSettings, oracle_address="0x" + "11" * 20, liquidator_private_key="0xff" + "e" * 62)
    assert "eeee" not in str(err.value)
    with pytest.raises(SettingsError, match="ORACLE_ADDRESS must be 0x followed by 40 hex digits"):
        load_settings(LiquidationEngineSettings, oracle_address="CHANGE_ME_0xPriceOracleAddress",
                      liquidator_private_key=LIQUIDATOR_KEY)
    monkeypatch.setenv("ORACLE_ADDRESS", "0x" + "11" * 20)
    monkeypatch.setenv("LIQUIDATOR_PRIVATE_KEY", LIQUIDATOR_KEY)
    monkeypatch.setenv("SWEEP_INTERVAL", "0.5")
    monkeypatch.setenv("DRY_RUN", "true")
    s = load_settings(LiquidationEngineSettings)
    assert (s.port, s.service_name, s.pxe_url, s.sweep_interval, s.dry_run, s.price_heartbeat) == (
        3002, "liquidation-engine", "http://127.0.0.1:8080", 0.5, True, 1800)
    assert (s.cooldown_base, s.cooldown_max, s.prove_timeout, s.receipt_timeout) == (30, 900, 300, 120)
    assert s.database_url.endswith("/data/liquidation-engine.db") and s.stale_after == 3600
    assert LIQUIDATOR_KEY not in json.dumps(s.masked(), default=str)


async def test_attempts_added_together_keep_their_order_and_ids(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from services.liquidation_engine.attempts import AttemptStore
    from services.liquidation_engine.models import Base
    from shared.db import Database

    db = Database(f"sqlite+aiosqlite:///{tmp_path}/attempts.db")
    await db.create_all(Base.metadata)
    store = AttemptStore(db)
    plans = [Plan(f"0x{i:064x}", "0.9", 1000 + i, 10 + i, 55_000 * 10**8, 10**8) for i in (5, 1, 9, 3)]
    ids = await store.add(plans)
    again = await store.add([plans[0], plans[0]], status="skipped", errors=["a", "b"])  # the same escrow twice
    assert len(set(ids + again)) == 6
    rows = {r.id: r for r in await store.recent(10)}
    assert [rows[i].escrow for i in ids] == [p.escrow for p in plans]
    assert [rows[i].repay_amount for i in ids] == [str(p.repay) for p in plans]
    assert [rows[i].error for i in again] == ["a", "b"]
    await db.close()
