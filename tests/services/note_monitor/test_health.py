"""The monitor's /health tells the truth during a sync: a frozen PXE is not 'connected'."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from services.note_monitor.app import create_app
from services.note_monitor.settings import NoteMonitorSettings
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY
from tests.services.note_monitor.fakes import FakePxe


async def health_of(app: object) -> dict[str, object]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://monitor") as http:
        return (await http.get("/health")).json()  # type: ignore[no-any-return]


async def test_a_sync_running_past_twice_the_interval_is_degraded(tmp_path: Path) -> None:
    pxe = FakePxe()
    settings = load_settings(NoteMonitorSettings, liquidation_api_key=TEST_API_KEY, sync_interval=0.1,
                             database_url=f"sqlite+aiosqlite:///{tmp_path}/m.db")
    app = create_app(settings, pxe)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        service = app.state.service
        await service.register(pxe.add(1), None, None)
        await service.wait_for_sync(0, timeout=5)
        assert (await health_of(app))["status"] == "healthy"
        pxe.delay = 5.0  # the PXE answers status but takes seconds per read: a sync hangs
        service.trigger_sync()
        await asyncio.sleep(0.4)
        body = await health_of(app)
        assert body["status"] == "degraded" and body["checks"]["syncStuck"] is True  # type: ignore[index]
        pxe.delay = 0.0


async def test_a_failing_live_probe_is_degraded_even_before_a_sync_notices(tmp_path: Path) -> None:
    pxe = FakePxe()
    settings = load_settings(NoteMonitorSettings, liquidation_api_key=TEST_API_KEY, sync_interval=3600,
                             database_url=f"sqlite+aiosqlite:///{tmp_path}/m.db")
    app = create_app(settings, pxe)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        await app.state.service.wait_for_sync(0, timeout=5)
        pxe.down = True
        await asyncio.sleep(1.6)  # past the probe cache
        body = await health_of(app)
        assert body["status"] == "degraded" and body["pxeConnected"] is False
