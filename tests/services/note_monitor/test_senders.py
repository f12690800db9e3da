"""Note discovery as on a real PXE (issue 20.2): the development PXE run with --require-senders, nocom-v1 rules.

A real PXE finds a note only once it knows the note's sender, and reads nocom-v1's escrow ConfigNote only
with its owner's keys (docs/pxe-jsonrpc.md, "No note"). The monitor registers the escrow's owner and pool
as senders before the first read, takes the pool from `pool` instead of that config note, and says in
words what is missing, never Aztec's BoundedVec message. After its gateway restarts on an empty store it
registers the senders again and names the escrows whose key the PXE lost, with what to do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from devnet.pxe.background import running_dev_pxe
from tests.services.note_monitor.monitor_harness import E18, KEY, Logs, Monitor, dev, running_monitor, settings_for


@pytest.fixture(scope="module")
def strict_pxe() -> Iterator[Any]:
    with running_dev_pxe(protocol="nocom-v1", require_senders=True) as server:
        yield server


async def new_pool(pxe: Any) -> str:
    """A ZEC/USDC pool of its own, so no earlier test registered it as a sender."""
    zec = await dev(pxe.url, "dev_createToken", "ZEC", {"decimals": 18})
    usdc = await dev(pxe.url, "dev_createToken", "USDC", {"decimals": 18})
    feed = await dev(pxe.url, "dev_createFeed")
    created: str = await dev(pxe.url, "dev_createPool", zec, usdc, 75_000, 80_000, feed["address"])
    return created


@pytest.fixture
async def pool(strict_pxe: Any) -> str:
    return await new_pool(strict_pxe)


@pytest.fixture
async def strict_monitor(tmp_path: Path, strict_pxe: Any, logs: Logs) -> AsyncIterator[Monitor]:
    async with running_monitor(settings_for(tmp_path, strict_pxe.url, protocol="nocom-v1")) as m:
        yield m


async def new_escrow(pxe: Any, pool: str) -> dict[str, Any]:
    escrow: dict[str, Any] = await dev(pxe.url, "dev_createEscrow", pool, str(2 * E18), str(10**21), {"registered": False})
    return escrow


def full_body(escrow: dict[str, Any], pool: str) -> dict[str, Any]:
    return {"secretKey": escrow["secretKey"], "instance": escrow["instance"], "owner": escrow["owner"], "pool": pool}


async def test_the_owner_and_the_pool_are_senders_before_the_first_read_and_the_config_note_is_not_read(
        strict_monitor: Monitor, strict_pxe: Any, pool: str) -> None:
    escrow = await new_escrow(strict_pxe, pool)
    utility_calls = strict_pxe.calls["pxe_simulateUtility"]
    r = await strict_monitor.register(escrow["address"], **full_body(escrow, pool))
    assert r.status_code == 201, r.text
    assert (r.json()["owner"], r.json()["pool"], r.json()["collateralAsset"]) == (escrow["owner"], pool, "ZEC")
    assert {escrow["owner"], pool} <= strict_pxe.state.senders
    # The pool's own config is read (one utility call); the escrow's config note and its notes by simulation are not.
    assert strict_pxe.calls["pxe_simulateUtility"] == utility_calls + 1
    position = (await strict_monitor.http.get(f"/positions/{escrow['address']}", headers=KEY)).json()
    assert (position["collateralAmount"], position["debtPrincipal"]) == (str(2 * E18), str(10**21))


async def test_without_pool_or_owner_the_answer_says_in_words_what_to_give(
        strict_monitor: Monitor, strict_pxe: Any, pool: str) -> None:
    # Each on a pool of its own: a PXE that knows a pool as a sender finds every escrow's notes it sends.
    without_owner, without_pool = await new_escrow(strict_pxe, pool), await new_escrow(strict_pxe, await new_pool(strict_pxe))

    body = full_body(without_owner, pool)
    r = await strict_monitor.register(without_owner["address"], **{k: v for k, v in body.items() if k != "owner"})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert f"finds no collateral or loan note of escrow {without_owner['address']} in pool {pool}" in error
    assert "`owner`" in error and "BoundedVec" not in error and without_owner["secretKey"][2:] not in error
    assert (await strict_monitor.register(without_owner["address"], **body)).status_code == 201

    body = full_body(without_pool, (await dev(strict_pxe.url, "dev_getPosition", without_pool["address"]))["pool"])
    r = await strict_monitor.register(without_pool["address"], **{k: v for k, v in body.items() if k != "pool"})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error.startswith("pool: ") and "config note" in error and "Give the escrow's pool in `pool`" in error
    assert "BoundedVec" not in error
    assert (await strict_monitor.register(without_pool["address"], **body)).status_code == 201
    assert (await strict_monitor.http.get("/escrows", headers=KEY)).json()["count"] == 2


def forget_everything(pxe: Any) -> None:
    """A gateway restarted on an empty store: the chain is as it was, the keys and senders it was given are gone."""
    pxe.state.senders.clear()
    pxe.state.readable.clear()
    pxe.state.contracts.clear()


async def test_after_a_gateway_restart_on_an_empty_store_senders_are_registered_again_and_a_lost_key_is_told(
        strict_monitor: Monitor, strict_pxe: Any, pool: str, logs: Logs) -> None:
    kept, lost = await new_escrow(strict_pxe, pool), await new_escrow(strict_pxe, pool)
    for escrow in (kept, lost):
        assert (await strict_monitor.register(escrow["address"], **full_body(escrow, pool))).status_code == 201
    forget_everything(strict_pxe)
    # The operator registers one key with the new gateway again; the monitor does not know it happened.
    await dev(strict_pxe.url, "pxe_registerContract", {"instance": kept["instance"], "secretKey": kept["secretKey"]})
    logs.take()

    report = await strict_monitor.sync()
    assert (report["escrows"], report["failures"]) == (2, 1)
    assert {kept["owner"], lost["owner"], pool} <= strict_pxe.state.senders  # registered again by the monitor
    await assert_the_lost_key_is_told(strict_monitor, kept, lost, logs.take())

    senders_registered = strict_pxe.calls["pxe_registerSender"]
    assert (await strict_monitor.sync())["failures"] == 1
    assert strict_pxe.calls["pxe_registerSender"] == senders_registered  # once, not at every sync
    assert "Escrow unreadable" not in logs.names()  # told when it happened, not again at every sync

    # What the words say to do: register it again with its key.
    assert (await strict_monitor.http.delete(f"/escrows/{lost['address']}", headers=KEY)).status_code == 200
    assert (await strict_monitor.register(lost["address"], **full_body(lost, pool))).status_code == 201
    assert (await strict_monitor.sync())["failures"] == 0
    health = (await strict_monitor.http.get("/health")).json()
    assert health["status"] == "healthy" and health["checks"]["escrowsKeyLost"] == 0
    assert health["checks"]["unreadableEscrows"] is None


async def assert_the_lost_key_is_told(monitor: Monitor, kept: dict[str, Any], lost: dict[str, Any],
                                      events: list[dict[str, Any]]) -> None:
    health = (await monitor.http.get("/health")).json()
    assert health["status"] == "degraded" and health["checks"]["escrowsKeyLost"] == 1
    assert "1 whose PXE lost their key" in health["checks"]["unreadableEscrows"]
    assert lost["address"] not in str(health)  # /health is open: no address in it
    escrows = {e["address"]: e for e in (await monitor.http.get("/escrows", headers=KEY)).json()["escrows"]}
    assert escrows[kept["address"]]["problem"] is None
    problem = escrows[lost["address"]]["problem"]
    assert "lost the escrow's key" in problem and f"DELETE /escrows/{lost['address']}" in problem
    assert "secretKey" in problem and "BoundedVec" not in problem
    unreadable = [e for e in events if e["event"] == "Escrow unreadable"]
    assert [(e["address"], e["problem"], e["level"]) for e in unreadable] == [(lost["address"], "key-lost", "error")]
    assert unreadable[0]["action"] == problem


async def test_a_pool_that_is_not_deployed_is_named_in_words(strict_monitor: Monitor, strict_pxe: Any, pool: str) -> None:
    # What the real-network tier meets: an escrow whose pool is on no network (nocom's pools cannot be deployed there).
    escrow = await new_escrow(strict_pxe, pool)
    nowhere = "0x" + "00" * 31 + "7e"
    r = await strict_monitor.register(escrow["address"], **{**full_body(escrow, pool), "pool": nowhere})
    error = r.json()["error"]
    assert r.status_code == 422 and f"pool {nowhere} is not deployed on the network" in error, error
    assert "BoundedVec" not in error
