"""The engine's /health tells the truth about the chain: a PXE and a monitor that answer are not enough."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from devnet.pxe.background import running_dev_pxe
from services.liquidation_engine.app import create_app
from services.liquidation_engine.service import LiquidationEngine
from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.app import create_app as create_monitor_app
from services.note_monitor.settings import NoteMonitorSettings
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY
from tests.fixtures.databases import ADMIN_URL, _admin_execute
from tests.fixtures.servers import serving
from tests.services.liquidation_engine.engine_stack import until

LIQUIDATOR_KEY = "0x0dea1e5c0de0f11901da70c0ffee0000000000000000000000000000000000b2"


@asynccontextmanager
async def engine_against(tmp_path: Path, rpc_url: str, oracle: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with running_dev_pxe(block_time=0) as pxe:
        monitor_settings = load_settings(NoteMonitorSettings, liquidation_api_key=TEST_API_KEY, pxe_url=pxe.url,
                                         database_url=f"sqlite+aiosqlite:///{tmp_path}/monitor.db", sync_interval=3600)
        monitor_app = create_monitor_app(monitor_settings)
        async with monitor_app.router.lifespan_context(monitor_app), serving(monitor_app) as monitor_url:
            settings = load_settings(LiquidationEngineSettings, **{
                "liquidation_api_key": TEST_API_KEY, "pxe_url": pxe.url, "rpc_url": rpc_url,
                "note_monitor_url": monitor_url, "oracle_address": oracle, "liquidator_private_key": LIQUIDATOR_KEY,
                "database_url": f"sqlite+aiosqlite:///{tmp_path}/engine.db", "sweep_interval": 3600, **overrides})
            app = create_app(settings, LiquidationEngine(settings))
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://engine") as http:
                    yield http


async def test_an_unreadable_oracle_makes_the_engine_degraded(tmp_path: Path) -> None:
    dead_chain = "http://127.0.0.1:9"  # nothing listens on the discard port
    async with engine_against(tmp_path, dead_chain, "0x" + "11" * 20) as http:
        body = (await http.get("/health")).json()
        assert body["pxeConnected"] and body["noteMonitorReachable"]
        assert body["status"] == "degraded" and "chain unreachable" in body["checks"]["oracle"]
        assert "liquidation_engine_oracle_up 0.0" in (await http.get("/metrics")).text


async def test_a_readable_oracle_keeps_the_engine_healthy(tmp_path: Path, local_chain, oracle_address: str) -> None:  # type: ignore[no-untyped-def]
    async with engine_against(tmp_path, local_chain.url, oracle_address) as http:
        body = (await http.get("/health")).json()
        assert body["status"] == "healthy" and body["checks"]["oracle"] == "ok"
        assert "liquidation_engine_oracle_up 1.0" in (await http.get("/metrics")).text


async def test_health_and_metrics_show_which_engine_holds_what(tmp_path: Path, local_chain, oracle_address: str) -> None:  # type: ignore[no-untyped-def]
    async with engine_against(tmp_path, local_chain.url, oracle_address) as http:
        body = (await http.get("/health")).json()
        me = body["instance"]
        assert me and [(e["instance"], e["live"], e["inFlight"]) for e in body["engines"]] == [(me, True, 0)]
        assert 0 < body["engines"][0]["leaseExpiresInMs"] <= 15_000
        metrics = (await http.get("/metrics")).text
        assert "liquidation_engine_live_engines 1.0" in metrics


def _set_read_only(database: str, on: bool) -> None:
    """The database's default for new sessions, and its sessions ended so that the engine's new ones take it."""
    _admin_execute(f'ALTER DATABASE "{database}" SET default_transaction_read_only = {"on" if on else "off"}',
                   f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' "
                   "AND pid <> pg_backend_pid()")


async def test_a_database_that_refuses_writes_or_lost_its_schema_stops_the_engine_and_health_says_so(
    tmp_path: Path, local_chain, oracle_address: str, postgres_url: str  # type: ignore[no-untyped-def]
) -> None:
    database = postgres_url.rsplit("/", 1)[1]

    async def health(http: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
        r = await http.get("/health")
        return r.status_code, r.json()

    async with engine_against(tmp_path, local_chain.url, oracle_address, database_url=postgres_url,
                              engine_lease_ttl=2) as http:
        status, body = await health(http)
        assert (status, body["status"], body["checks"]["database"]) == (200, "healthy", "ok")
        assert body["checks"]["claiming"].startswith("ok")
        await asyncio.to_thread(_set_read_only, database, True)
        try:
            async def refused() -> bool:
                status, body = await health(http)
                return status == 503 and body["checks"]["database"] == "read-only" and "claims no" in body["checks"]["claiming"]

            await until(refused, timeout=15, what="health to say the database refuses writes and nothing is claimed")
        finally:
            await asyncio.to_thread(_set_read_only, database, False)

        async def healthy_again() -> bool:
            return (await health(http))[1]["status"] == "healthy"

        await until(healthy_again, timeout=15, what="health after the database takes writes again")
        await asyncio.to_thread(_admin_execute_in, database, "DROP TABLE liquidations")

        async def schema_missing() -> bool:
            status, body = await health(http)
            return status == 503 and body["checks"]["database"] == "schema missing"

        await until(schema_missing, timeout=15, what="health to say the schema is gone")


def _admin_execute_in(database: str, statement: str) -> None:
    import asyncio as aio

    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(ADMIN_URL)

    async def run() -> None:
        conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, database=database,
                                     password=url.password, timeout=5)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    aio.run(run())
