"""note-monitor against the development PXE over real HTTP; the monitor runs as an ASGI app."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI

from devnet.pxe.background import running_dev_pxe
from services.note_monitor.app import create_app
from services.note_monitor.service import NoteMonitor
from services.note_monitor.settings import NoteMonitorSettings
from shared.logging import configure_logging
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


@pytest.fixture
def logs() -> Iterator[Logs]:
    """The monitor's JSON log lines, in a buffer of their own that outlives pytest's capture."""
    previous = structlog.get_config()
    configure_logging("note-monitor")
    buffer = Logs()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=buffer))
    yield buffer
    structlog.configure(**previous)


@pytest.fixture(scope="module")
def pxe() -> Iterator[Any]:
    with running_dev_pxe() as server:
        yield server


@pytest.fixture
async def world(pxe: Any) -> dict[str, str]:
    """Fresh tokens and a pool for each test, so tests never see each other's escrows."""
    btc = await dev(pxe.url, "dev_createToken", "BTC")
    usdc = await dev(pxe.url, "dev_createToken", "USDC")
    pool = await dev(pxe.url, "dev_createPool", btc, usdc, 7000, 8000)
    return {"btc": btc, "usdc": usdc, "pool": pool}


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
    client = pxe_client or PxeClient(settings.pxe_url, timeout=2.0, read_attempts=2, backoff=0.05)
    app = create_app(settings, client)
    try:
        async with app.router.lifespan_context(app):
            await app.state.service.wait_for_sync(0)  # the sync run at start, so tests begin from a settled state
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://monitor") as http:
                yield Monitor(app, http)
    finally:
        await client.close()


@pytest.fixture
async def monitor(tmp_path: Path, pxe: Any, logs: Logs) -> AsyncIterator[Monitor]:
    async with running_monitor(settings_for(tmp_path, pxe.url)) as m:
        yield m


async def test_registration_sync_and_removal_show_exactly_the_changes(
    monitor: Monitor, pxe: Any, world: dict[str, str], logs: Logs
) -> None:
    private = await new_escrow(pxe, world["pool"], registered=False)
    known = await new_escrow(pxe, world["pool"], collateral=3 * E18, debt=2 * 10**21)

    r = await monitor.register(private["address"], secretKey=private["secretKey"], instance=private["instance"])
    assert r.status_code == 201, r.text
    assert r.json()["hasSecretKey"] is True and "secretKey" not in r.json()
    r = await monitor.register(known["address"])
    assert r.status_code == 201, r.text
    assert r.json() | {"registeredAt": 0} == {
        "address": known["address"], "pool": world["pool"], "collateralAsset": "BTC", "debtAsset": "USDC",
        "hasSecretKey": False, "registeredAt": 0,
    }

    page = await monitor.positions()
    assert page["total"] == 2 and page["limit"] == 100 and page["offset"] == 0
    start = page["version"]
    by_escrow = {p["escrow"]: p for p in page["positions"]}
    p = by_escrow[known["address"]]
    assert (p["collateralAmount"], p["debtPrincipal"]) == (str(3 * E18), str(2 * 10**21))
    assert (p["collateralAsset"], p["collateralToken"], p["debtAsset"], p["debtToken"]) == ("BTC", world["btc"], "USDC", world["usdc"])
    assert p["liquidationThresholdBps"] == 8000 and p["pool"] == world["pool"]
    assert isinstance(p["blockNumber"], int) and isinstance(p["syncedAt"], int) and isinstance(p["debtEpoch"], int)

    # A borrower borrows more: one change, one new version.
    await dev(pxe.url, "dev_setPosition", known["address"], str(3 * E18), str(25 * 10**20))
    report = await monitor.sync()
    assert (report["escrows"], report["changed"], report["failures"]) == (2, 1, 0)
    changes = await monitor.positions(sinceVersion=start)
    assert changes["version"] == start + 1 and changes["total"] == 1
    (changed,) = changes["positions"]
    assert (changed["escrow"], changed["debtPrincipal"], changed["version"]) == (known["address"], str(25 * 10**20), start + 1)

    # Nothing changed: no new version, an empty answer.
    report = await monitor.sync()
    assert report["changed"] == 0
    assert await monitor.positions(sinceVersion=start + 1) == {"positions": [], "total": 0, "limit": 100, "offset": 0, "version": start + 1}

    r = await monitor.http.delete(f"/escrows/{private['address']}", headers=KEY)
    assert r.status_code == 200 and r.json()["address"] == private["address"]
    changes = await monitor.positions(sinceVersion=start + 1)
    assert changes["positions"] == [{"escrow": private["address"], "removed": True, "version": start + 2}]
    assert (await monitor.http.get(f"/positions/{private['address']}", headers=KEY)).status_code == 404
    r = await monitor.http.get(f"/positions/{known['address']}", headers=KEY)
    assert r.status_code == 200 and r.json()["version"] == start + 1
    escrows = (await monitor.http.get("/escrows", headers=KEY)).json()
    assert escrows["count"] == 1 and escrows["escrows"][0]["address"] == known["address"]

    events = logs.take()
    registered = [e for e in events if e["event"] == "Escrow registered"]
    assert {e["address"] for e in registered} == {private["address"], known["address"]}
    removed = [e for e in events if e["event"] == "Escrow removed"]
    assert removed and removed[0]["address"] == private["address"] and removed[0]["pool"] == world["pool"]
    completed = [e for e in events if e["event"] == "Note sync completed"]
    assert completed and {"escrows", "positions", "changed", "failures", "durationMs"} <= completed[-1].keys()
    assert any(e["event"] == "Note sync started" for e in events)


async def test_asset_filter_and_paging(monitor: Monitor, pxe: Any, world: dict[str, str]) -> None:
    eth = await dev(pxe.url, "dev_createToken", "ETH")
    eth_pool = await dev(pxe.url, "dev_createPool", eth, world["usdc"], 7000, 8000)
    addresses = []
    for pool in (world["pool"], world["pool"], eth_pool):
        escrow = await new_escrow(pxe, pool)
        assert (await monitor.register(escrow["address"])).status_code == 201
        addresses.append(escrow["address"])
    assert [p["escrow"] for p in (await monitor.positions(asset="eth"))["positions"]] == [addresses[2]]
    assert (await monitor.positions(asset="USDC"))["total"] == 3
    first, second = await monitor.positions(limit=2), await monitor.positions(limit=2, offset=2)
    listed = [p["escrow"] for p in first["positions"] + second["positions"]]
    assert listed == sorted(addresses) and first["total"] == 3
    assert (await monitor.http.get("/positions?asset=B-T-C", headers=KEY)).status_code == 422


async def test_unknown_notes_are_rejected_with_the_pxe_reason(monitor: Monitor, pxe: Any, world: dict[str, str]) -> None:
    private = await new_escrow(pxe, world["pool"], registered=False)
    r = await monitor.register(private["address"])
    assert r.status_code == 422 and r.json()["error"]
    wrong = "0x" + "ab" * 31
    r = await monitor.register(private["address"], secretKey=wrong)
    assert r.status_code == 422 and wrong[2:] not in r.text
    assert (await monitor.http.get("/escrows", headers=KEY)).json()["count"] == 0


async def test_pxe_down_then_back(monitor: Monitor, pxe: Any, world: dict[str, str], logs: Logs) -> None:
    escrow = await new_escrow(pxe, world["pool"])
    assert (await monitor.register(escrow["address"])).status_code == 201
    before = (await monitor.http.get(f"/positions/{escrow['address']}", headers=KEY)).json()
    logs.take()

    pxe.stop()
    try:
        first = await monitor.sync()
        await monitor.sync()
        assert first["failures"] == 1
        health = (await monitor.http.get("/health")).json()
        assert health["status"] == "degraded" and health["pxeConnected"] is False and health["totalPositions"] == 1
        kept = (await monitor.http.get(f"/positions/{escrow['address']}", headers=KEY)).json()
        assert kept == before
        other = await new_escrow_offline_address()
        r = await monitor.register(other)
        assert r.status_code == 503 and r.json() == {"error": "PXE unreachable"}
    finally:
        pxe.start()
    events = [e["event"] for e in logs.take()]
    assert events.count("PXE unreachable") == 1 and "Note sync failed" in events

    await dev(pxe.url, "dev_setPosition", escrow["address"], str(E18), str(10**21))
    report = await monitor.sync()
    assert report["failures"] == 0 and report["changed"] == 1
    health = (await monitor.http.get("/health")).json()
    assert health["status"] == "healthy" and health["pxeConnected"] is True
    events = [e["event"] for e in logs.take()]
    assert events.count("PXE reachable") == 1
    metrics = (await monitor.http.get("/metrics")).text
    assert "note_monitor_pxe_up 1.0" in metrics and "note_monitor_sync_failures_total" in metrics


async def new_escrow_offline_address() -> str:
    return "0x" + "7" * 64


async def test_restart_keeps_escrows_positions_and_version(tmp_path: Path, pxe: Any, world: dict[str, str]) -> None:
    settings = settings_for(tmp_path, pxe.url)
    first, second = await new_escrow(pxe, world["pool"]), await new_escrow(pxe, world["pool"], registered=False)
    async with running_monitor(settings) as m:
        assert (await m.register(first["address"])).status_code == 201
        assert (await m.register(second["address"], secretKey=second["secretKey"], instance=second["instance"])).status_code == 201
        await dev(pxe.url, "dev_setPosition", first["address"], str(5 * E18), str(10**21))
        await m.sync()
        assert (await m.http.delete(f"/escrows/{second['address']}", headers=KEY)).status_code == 200
        page = await m.positions()
        escrows = (await m.http.get("/escrows", headers=KEY)).json()
    version = page["version"]

    async with running_monitor(settings) as m:
        again = await m.positions()
        assert again["version"] == version and again["positions"][0]["collateralAmount"] == str(5 * E18)
        assert (await m.http.get("/escrows", headers=KEY)).json() == escrows
        removal = await m.positions(sinceVersion=version - 1)
        assert removal["positions"] == [{"escrow": second["address"], "removed": True, "version": version}]
        third = await new_escrow(pxe, world["pool"])
        assert (await m.register(third["address"])).status_code == 201
        newer = await m.positions(sinceVersion=version)
        assert [(p["escrow"], p["version"]) for p in newer["positions"]] == [(third["address"], version + 1)]


async def test_client_errors_are_clear(monitor: Monitor, pxe: Any, world: dict[str, str]) -> None:
    escrow = await new_escrow(pxe, world["pool"])
    for bad in ("0x", "0xZZ", "1234", "0x" + "1" * 65, 17):
        r = await monitor.register(bad)  # type: ignore[arg-type]
        assert r.status_code == 422 and "address" in r.json()["error"], r.text
    assert (await monitor.http.post("/escrows", json={}, headers=KEY)).status_code == 422
    assert (await monitor.register(escrow["address"], secretKey="not-hex")).status_code == 422
    assert (await monitor.register(escrow["address"], instance={"address": "0x" + "9" * 64})).status_code == 422

    assert (await monitor.register(escrow["address"].upper().replace("0X", "0x"))).status_code == 201
    short = "0x" + escrow["address"][2:].lstrip("0")
    r = await monitor.register(short)
    assert r.status_code == 409 and "already registered" in r.json()["error"]

    unknown = "0x" + "5" * 64
    assert (await monitor.http.get(f"/positions/{unknown}", headers=KEY)).status_code == 404
    assert (await monitor.http.get("/positions/not-an-address", headers=KEY)).status_code == 404
    assert (await monitor.http.delete(f"/escrows/{unknown}", headers=KEY)).status_code == 404

    huge = {"address": escrow["address"], "instance": {"blob": "x" * 8000}}
    assert (await monitor.http.post("/escrows", json=huge, headers=KEY)).status_code == 413

    for query in ("limit=0", "limit=5001", "offset=-1", "sinceVersion=-1", "limit=abc"):
        r = await monitor.http.get(f"/positions?{query}", headers=KEY)
        assert r.status_code == 422 and "error" in r.json(), query

    for method, path in (("GET", "/escrows"), ("POST", "/escrows"), ("DELETE", f"/escrows/{unknown}"), ("GET", "/positions"),
                         ("GET", f"/positions/{unknown}"), ("POST", "/sync")):
        r = await monitor.http.request(method, path, json={"address": unknown} if method == "POST" else None)
        assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}, path
    assert (await monitor.http.get("/health")).status_code == 200
    assert (await monitor.http.get("/metrics")).status_code == 200
    assert "/positions" in (await monitor.http.get("/openapi.json")).json()["paths"]


async def test_secret_key_is_never_stored_returned_or_logged(
    tmp_path: Path, monitor: Monitor, pxe: Any, world: dict[str, str], logs: Logs
) -> None:
    escrow = await new_escrow(pxe, world["pool"], registered=False)
    secret = escrow["secretKey"]
    r = await monitor.register(escrow["address"], secretKey=secret, instance=escrow["instance"])
    assert r.status_code == 201
    await monitor.sync()
    bodies = [r.text, (await monitor.http.get("/escrows", headers=KEY)).text, (await monitor.positions()).__repr__()]
    other = await new_escrow(pxe, world["pool"], registered=False)
    bad = await monitor.register(other["address"], secretKey=secret, instance=other["instance"])  # a mismatching key
    bodies.append(bad.text)

    digits = secret[2:].lower().lstrip("0")
    for body in bodies:
        assert digits not in body.lower()
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").iterdir())
    assert digits.encode() not in stored.lower() and bytes.fromhex(digits.rjust(64, "0")) not in stored
    assert digits not in logs.getvalue().lower()


class CountingPxe(PxeClient):
    """The real client, counting reads in flight and failing one escrow's reads."""

    def __init__(self, *args: Any, failing: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failing = failing
        self.in_flight = 0
        self.most_in_flight = 0

    async def sync_private_state(self, escrow: str) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if escrow == self.failing:
                raise RuntimeError("this escrow's notes cannot be decoded")
            await super().sync_private_state(escrow)
        finally:
            self.in_flight -= 1


async def test_sync_respects_concurrency_and_one_failure_spares_the_others(
    tmp_path: Path, pxe: Any, world: dict[str, str], logs: Logs
) -> None:
    created = await dev(pxe.url, "dev_createEscrows", world["pool"], 9, str(E18), str(10**20), {"registered": True})
    addresses = [e["address"] for e in created]
    client = CountingPxe(pxe.url, timeout=5, read_attempts=1)
    async with running_monitor(settings_for(tmp_path, pxe.url, sync_concurrency=3), client) as m:
        for address in addresses:
            assert (await m.register(address)).status_code == 201
        client.failing = addresses[4]
        start = (await m.positions())["version"]
        for address in addresses:
            await dev(pxe.url, "dev_setPosition", address, str(2 * E18), str(10**20))
        await dev(pxe.url, "dev_setLatency", 40)
        client.most_in_flight = 0
        try:
            report = await m.sync()
        finally:
            await dev(pxe.url, "dev_setLatency", 0)
        assert report["failures"] == 1 and report["changed"] == 8
        assert client.most_in_flight == 3
        changed = {p["escrow"] for p in (await m.positions(sinceVersion=start))["positions"]}
        assert changed == set(addresses) - {addresses[4]}
        kept = (await m.http.get(f"/positions/{addresses[4]}", headers=KEY)).json()
        assert kept["collateralAmount"] == str(E18)
        health = (await m.http.get("/health")).json()
        assert health["status"] == "degraded" and health["pxeConnected"] is True
    failed = [e for e in logs.take() if e["event"] == "Note sync failed"]
    assert failed and failed[-1]["failures"] == 1 and failed[-1]["changed"] == 8
