"""note-monitor's API against the development PXE over real HTTP: registering escrows, the positions
they show and the changes a sync or a removal makes, and clear errors for bad requests."""

from __future__ import annotations

from typing import Any

from tests.services.note_monitor.monitor_harness import E18, KEY, Logs, Monitor, dev, new_escrow


async def test_registration_sync_and_removal_show_exactly_the_changes(
    monitor: Monitor, pxe: Any, world: dict[str, str], logs: Logs
) -> None:
    private = await new_escrow(pxe, world["pool"], registered=False)
    known = await new_escrow(pxe, world["pool"], collateral=3 * E18, debt=2 * 10**21)

    await register_private_and_known(monitor, private, known, world)
    start = await first_page_version(monitor, known, world)

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

    assert_lifecycle_logged(logs.take(), private, known, world)


async def register_private_and_known(
    monitor: Monitor, private: dict[str, Any], known: dict[str, Any], world: dict[str, str]
) -> None:
    """The private escrow registered with its key (never echoed back), the known one by its address alone."""
    r = await monitor.register(private["address"], secretKey=private["secretKey"], instance=private["instance"])
    assert r.status_code == 201, r.text
    assert r.json()["hasSecretKey"] is True and "secretKey" not in r.json()
    r = await monitor.register(known["address"])
    assert r.status_code == 201, r.text
    assert r.json() | {"registeredAt": 0} == {
        "address": known["address"], "pool": world["pool"], "collateralAsset": "BTC", "debtAsset": "USDC",
        "hasSecretKey": False, "registeredAt": 0, "owner": None, "problem": None,
    }


async def first_page_version(monitor: Monitor, known: dict[str, Any], world: dict[str, str]) -> int:
    """The first page shows both escrows and the known one's notes in full; returns the version it is at."""
    page = await monitor.positions()
    assert page["total"] == 2 and page["limit"] == 100 and page["offset"] == 0
    start = page["version"]
    by_escrow = {p["escrow"]: p for p in page["positions"]}
    p = by_escrow[known["address"]]
    assert (p["collateralAmount"], p["debtPrincipal"]) == (str(3 * E18), str(2 * 10**21))
    assert (p["collateralAsset"], p["collateralToken"], p["debtAsset"], p["debtToken"]) == ("BTC", world["btc"], "USDC", world["usdc"])
    assert p["liquidationThresholdBps"] == 8000 and p["pool"] == world["pool"]
    assert isinstance(p["blockNumber"], int) and isinstance(p["syncedAt"], int) and isinstance(p["debtEpoch"], int)
    return start


def assert_lifecycle_logged(
    events: list[dict[str, Any]], private: dict[str, Any], known: dict[str, Any], world: dict[str, str]
) -> None:
    """Both registrations, the removal and the syncs are in the monitor's log."""
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
    assert (await monitor.http.get("/positions/not-an-address", headers=KEY)).status_code == 422  # the documented pattern
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


async def test_a_pool_that_is_not_the_escrows_is_refused_in_words(monitor: Monitor, pxe: Any, world: dict[str, str]) -> None:
    eth = await dev(pxe.url, "dev_createToken", "ETH")
    other_pool = await dev(pxe.url, "dev_createPool", eth, world["usdc"], 7000, 8000)
    escrow = await new_escrow(pxe, world["pool"])
    r = await monitor.register(escrow["address"], pool=other_pool)
    assert r.status_code == 422, r.text
    assert r.json()["error"].startswith("pool: ") and f"in pool {other_pool}" in r.json()["error"]
    assert "check that `pool` is the escrow's pool" in r.json()["error"]
    r = await monitor.register(escrow["address"], pool=world["usdc"])  # a token, not a pool
    assert r.status_code == 422 and r.json()["error"].startswith("pool: "), r.text
    r = await monitor.register(escrow["address"], pool=world["pool"])
    assert r.status_code == 201 and r.json()["pool"] == world["pool"]
