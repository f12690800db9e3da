"""note-monitor's sync against the development PXE over real HTTP: a PXE that goes down and comes
back, and, through a PXE without pxe_getNotes, reads by simulation bounded in concurrency where one
escrow's failure spares the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.pxe.client import PxeClient
from shared.pxe.errors import PxeError, PxeMethodNotFound
from tests.services.note_monitor.monitor_harness import E18, KEY, Logs, Monitor, dev, new_escrow, running_monitor, settings_for


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


class CountingPxe(PxeClient):
    """The real client to a PXE that does not know pxe_getNotes (-32601, as before it was added), counting
    JSON-RPC batches in flight and failing one escrow's reads."""

    async def get_notes(self, contract: str, **_query: Any) -> Any:
        raise PxeMethodNotFound("Method not found: pxe_getNotes", -32601)

    def __init__(self, *args: Any, failing: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failing = failing
        self.in_flight = 0
        self.most_in_flight = 0

    async def call_many(self, requests: list[tuple[str, list]], **options: Any) -> list[Any]:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            answers = await super().call_many(requests, **options)
        finally:
            self.in_flight -= 1
        broken = PxeError("this escrow's notes cannot be decoded")
        return [broken if self.failing and self.failing in str(params) else answer
                for (_, params), answer in zip(requests, answers, strict=True)]


async def test_sync_respects_concurrency_and_one_failure_spares_the_others(
    tmp_path: Path, pxe: Any, world: dict[str, str], logs: Logs
) -> None:
    created = await dev(pxe.url, "dev_createEscrows", world["pool"], 9, str(E18), str(10**20), {"registered": True})
    addresses = [e["address"] for e in created]
    client = CountingPxe(pxe.url, timeout=5, read_attempts=1)
    async with running_monitor(settings_for(tmp_path, pxe.url, sync_concurrency=3, sync_batch_size=2), client) as m:
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
    events = logs.take()
    failed = [e for e in events if e["event"] == "Note sync failed"]
    assert failed and failed[-1]["failures"] == 1 and failed[-1]["changed"] == 8
    assert [e["event"] for e in events].count("PXE notes read by simulation") == 1  # learnt once, then remembered
