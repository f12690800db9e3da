"""What note-monitor stores: escrows, positions and version kept across a restart, and an escrow's
secret key never stored, returned or logged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.services.note_monitor.monitor_harness import E18, KEY, Logs, Monitor, dev, new_escrow, running_monitor, settings_for


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
