"""note-monitor against the development PXE over real HTTP, the monitor run as an ASGI app: the calls
and the harness the API tests share. Their fixtures (logs, pxe, world, monitor) are in conftest.py."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from services.note_monitor.app import create_app
from services.note_monitor.service import NoteMonitor
from services.note_monitor.settings import NoteMonitorSettings
from shared.protocols import rules_for
from shared.pxe.client import PxeClient
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY

KEY = {"X-API-Key": TEST_API_KEY}
E18 = 10**18


async def dev(url: str, method: str, *params: Any) -> Any:
    """A `dev_*` admin call to the development PXE."""
    async with httpx.AsyncClient(timeout=30) as c:
        r = await c.post(f"{url}/", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    body = r.json()
    assert body.get("error") is None, body
    return body["result"]


class Logs(io.StringIO):
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.getvalue().splitlines() if line.startswith("{")]

    def names(self) -> list[str]:
        return [e["event"] for e in self.events()]

    def take(self) -> list[dict[str, Any]]:
        events = self.events()
        self.seek(0)
        self.truncate()
        return events


async def new_escrow(pxe: Any, pool: str, collateral: int = 2 * E18, debt: int = 10**21, registered: bool = True) -> dict[str, Any]:
    return await dev(pxe.url, "dev_createEscrow", pool, str(collateral), str(debt), {"registered": registered})


class Monitor:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        self.app = app
        self.http = client

    @property
    def service(self) -> NoteMonitor:
        return self.app.state.service

    async def sync(self) -> dict[str, Any]:
        done = self.service.syncs_done
        r = await self.http.post("/sync", headers=KEY)
        assert r.status_code == 202
        report = await self.service.wait_for_sync(done)
        assert report is not None
        return vars(report)

    async def positions(self, **query: Any) -> dict[str, Any]:
        r = await self.http.get("/positions", params=query, headers=KEY)
        assert r.status_code == 200, r.text
        return r.json()

    async def register(self, address: str, **extra: Any) -> httpx.Response:
        return await self.http.post("/escrows", json={"address": address, **extra}, headers=KEY)


def settings_for(tmp_path: Path, pxe_url: str, **overrides: Any) -> NoteMonitorSettings:
    return load_settings(
        NoteMonitorSettings,
        liquidation_api_key=TEST_API_KEY,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/data/note-monitor.db",
        pxe_url=pxe_url,
        sync_interval=3600,
        max_body_bytes=4096,
        **overrides,
    )


@asynccontextmanager
async def running_monitor(settings: NoteMonitorSettings, pxe_client: PxeClient | None = None) -> AsyncIterator[Monitor]:
    """The monitor reading through `pxe_client`, or through a client per read gateway (PXE_READ_URL, else PXE_URL)."""
    reads = rules_for(settings.protocol).READS
    clients = [pxe_client] if pxe_client else [PxeClient(url, reads=reads, timeout=2.0, read_attempts=2, backoff=0.05)
                                               for url in settings.pxe_urls("read")]
    app = create_app(settings, clients)
    try:
        async with app.router.lifespan_context(app):
            await app.state.service.wait_for_sync(0)  # the sync run at start, so tests begin from a settled state
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://monitor") as http:
                yield Monitor(app, http)
    finally:
        for client in clients:
            await client.close()
