"""A database that answers every ping but cannot take the monitor's work (issue 21.3): its schema gone (an
empty database recreated under a running monitor) or turned read-only. /health says unhealthy and why;
registrations and removals answer 503 in words, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import text

from services.note_monitor.app import create_app
from services.note_monitor.settings import NoteMonitorSettings
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY
from tests.services.note_monitor.fakes import FakePxe
from tests.services.note_monitor.monitor_harness import KEY, Monitor, new_escrow


async def test_a_lost_schema_is_unhealthy_and_registrations_say_so(monitor: Monitor, pxe: Any, world: dict[str, str]) -> None:
    kept = await new_escrow(pxe, world["pool"])
    assert (await monitor.register(kept["address"])).status_code == 201
    async with monitor.service.db.engine.begin() as conn:
        for table in ("position_removals", "positions", "escrows"):
            await conn.execute(text(f"DROP TABLE {table}"))

    health = await monitor.http.get("/health")
    assert health.status_code == 503 and health.json()["status"] == "unhealthy"
    assert health.json()["checks"]["database"] == "schema missing"
    assert "lost its schema" in health.json()["checks"]["databaseProblem"]

    r = await monitor.register((await new_escrow(pxe, world["pool"]))["address"])
    assert r.status_code == 503 and "lost its schema" in r.json()["error"] and "restart the monitor" in r.json()["error"]
    r = await monitor.http.delete(f"/escrows/{kept['address']}", headers=KEY)
    assert r.status_code == 503 and "lost its schema" in r.json()["error"]


@asynccontextmanager
async def monitor_on(database_url: str, pxe: FakePxe) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    settings = load_settings(NoteMonitorSettings, liquidation_api_key=TEST_API_KEY, database_url=database_url,
                             sync_interval=3600)
    app = create_app(settings, pxe)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        await app.state.service.wait_for_sync(0, timeout=5)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://monitor") as http:
            yield app.state.service, http


async def test_a_read_only_database_is_unhealthy_and_registrations_say_so(postgres_url: str) -> None:
    pxe = FakePxe()
    name = postgres_url.rsplit("/", 1)[1]
    async with monitor_on(postgres_url, pxe) as (service, http):
        assert (await http.post("/escrows", json={"address": pxe.add(1)}, headers=KEY)).status_code == 201
        async with service.db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        await service.db.engine.dispose()  # new connections take the database's new default
        try:
            health = await http.get("/health")
            assert health.status_code == 503 and health.json()["checks"]["database"] == "read-only"
            r = await http.post("/escrows", json={"address": pxe.add(2)}, headers=KEY)
            assert r.status_code == 503 and "refuses writes" in r.json()["error"]
        finally:
            async with service.db.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("SET default_transaction_read_only = off"))
                await conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off'))
            await service.db.engine.dispose()
        assert (await http.post("/escrows", json={"address": pxe.add(2)}, headers=KEY)).status_code == 201
        assert (await http.get("/health")).json()["checks"]["database"] == "ok"
