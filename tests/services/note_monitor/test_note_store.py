"""A sync reads the PXE's synced note store (issue 22.2), against the development PXE over real HTTP: one
pxe_getNotes job per pool, no simulation; only escrows whose notes changed take a new version."""

from __future__ import annotations

from typing import Any

from tests.services.note_monitor.monitor_harness import E18, KEY, Monitor, dev, new_escrow


async def jobs(pxe: Any, reset: bool = False) -> dict[str, int]:
    stats = await dev(pxe.url, "dev_getJobStats", {"reset": reset})
    return {method: figures["count"] for method, figures in stats["jobs"].items()}


async def test_a_sync_is_one_note_store_read_per_pool_and_only_changed_notes_take_a_version(
        monitor: Monitor, pxe: Any, world: dict[str, str]) -> None:
    eth = await dev(pxe.url, "dev_createToken", "ETH")
    other_pool = await dev(pxe.url, "dev_createPool", eth, world["usdc"], 7000, 8000)
    escrows = [await new_escrow(pxe, pool) for pool in (world["pool"],) * 3 + (other_pool,) * 2]
    for escrow in escrows:
        assert (await monitor.register(escrow["address"])).status_code == 201
    version = (await monitor.positions())["version"]

    await jobs(pxe, reset=True)
    report = await monitor.sync()
    assert (report["escrows"], report["changed"], report["failures"]) == (5, 0, 0)
    assert await jobs(pxe, reset=True) == {"pxe_getNotes": 2}  # a job per pool; before: 10 simulations

    changed, rewritten = escrows[1]["address"], escrows[3]["address"]
    await dev(pxe.url, "dev_setPosition", changed, str(5 * E18), str(10**21))
    same = await dev(pxe.url, "dev_getPosition", rewritten)  # new notes (new nonces), the same values
    await dev(pxe.url, "dev_setPosition", rewritten, same["collateralAmount"], same["loanPrincipal"], same["loanEpoch"])
    report = await monitor.sync()
    assert (report["changed"], report["failures"]) == (1, 0)
    assert await jobs(pxe) == {"pxe_getNotes": 2}
    changes = await monitor.positions(sinceVersion=version)
    assert [(p["escrow"], p["collateralAmount"]) for p in changes["positions"]] == [(changed, str(5 * E18))]
    position = (await monitor.http.get(f"/positions/{rewritten}", headers=KEY)).json()
    assert position["version"] <= version and position["collateralAmount"] == same["collateralAmount"]
