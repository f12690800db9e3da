"""The monitor reads through its PXE_READ_URL gateways (issue 22.4), each escrow on one gateway only: its key
and senders registered there, its notes read there, so each gateway syncs only its share of the book.

Two development PXEs with one salt, built by the same calls, hold the same world (the same pools and
escrows at the same addresses), as two gateways on one Aztec node do; neither holds an escrow's key until
the monitor registers it. Only their escrows' secret keys differ (drawn at random): each escrow is given the
key of the PXE the monitor places it on (rendezvous hashing over the gateways, read_gateways.py), as one
chain's escrow has one key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from devnet.pxe.background import running_dev_pxe
from services.note_monitor.problems import gateway_name
from shared.leases import owner
from tests.services.note_monitor.monitor_harness import E18, Logs, dev, running_monitor, settings_for

ESCROWS = 12


@pytest.fixture
async def two_gateways() -> AsyncIterator[tuple[Any, Any]]:
    async with running_dev_pxe(salt="two-gateways") as a, running_dev_pxe(salt="two-gateways") as b:
        yield a, b


async def on_both(gateways: tuple[Any, Any], method: str, *params: Any) -> Any:
    """One dev_* call to both PXEs: their worlds stay one (the first's answer, the second's keys aside)."""
    first, second = [await dev(pxe.url, method, *params) for pxe in gateways]
    assert without_keys(first) == without_keys(second)
    return first


def without_keys(answer: Any) -> Any:
    if isinstance(answer, list):
        return [without_keys(item) for item in answer]
    return {k: v for k, v in answer.items() if k != "secretKey"} if isinstance(answer, dict) else answer


async def key_on_its_gateway(gateways: tuple[Any, Any], address: str) -> str:
    """The escrow's secret key on the PXE the monitor places it on."""
    placed = owner([gateway_name(pxe.url) for pxe in gateways], address)
    pxe = next(p for p in gateways if gateway_name(p.url) == placed)
    return str(pxe.state.escrow_keys[address].secret_key)


async def test_each_escrow_lives_on_one_gateway_and_each_gateway_reads_only_its_share(
        tmp_path: Path, two_gateways: tuple[Any, Any], logs: Logs) -> None:
    a, b = two_gateways
    btc, usdc = await on_both(two_gateways, "dev_createToken", "BTC"), await on_both(two_gateways, "dev_createToken", "USDC")
    pool = await on_both(two_gateways, "dev_createPool", btc, usdc, 7000, 8000)
    escrows = await on_both(two_gateways, "dev_createEscrows", pool, ESCROWS, str(E18), str(10**20), {"registered": False})
    settings = settings_for(tmp_path, a.url, pxe_read_url=f"{a.url},{b.url}")
    async with running_monitor(settings) as monitor:
        for escrow in escrows:
            body = {"secretKey": await key_on_its_gateway(two_gateways, escrow["address"]), "owner": escrow["owner"],
                    "pool": pool}
            assert (await monitor.register(escrow["address"], **body)).status_code == 201

        addresses = {e["address"] for e in escrows}
        on_a, on_b = a.state.readable & addresses, b.state.readable & addresses
        assert on_a and on_b and not on_a & on_b and on_a | on_b == addresses  # every key on exactly one gateway
        owners = {e["address"]: e["owner"] for e in escrows}
        assert {owners[e] for e in on_a} <= a.state.senders and not {owners[e] for e in on_b} & a.state.senders
        assert {owners[e] for e in on_b} <= b.state.senders and not {owners[e] for e in on_a} & b.state.senders

        calls = [dict(pxe.calls) for pxe in two_gateways]
        moved = sorted(on_b)[0]
        await on_both(two_gateways, "dev_setPosition", moved, str(3 * E18), str(10**20))
        report = await monitor.sync()
        assert (report["escrows"], report["changed"], report["failures"]) == (ESCROWS, 1, 0)
        for pxe, before in zip(two_gateways, calls, strict=True):  # one note-store read each, no simulation
            assert pxe.calls["pxe_getNotes"] == before.get("pxe_getNotes", 0) + 1
            assert pxe.calls["pxe_simulateUtility"] == before.get("pxe_simulateUtility", 0)
        position = (await monitor.positions(limit=ESCROWS))["positions"]
        assert {p["escrow"]: p["collateralAmount"] for p in position}[moved] == str(3 * E18)
        health = (await monitor.http.get("/health")).json()
        assert health["status"] == "healthy" and health["checks"]["pxeGateways"] == 2
        assert health["checks"]["pxeGatewaysDown"] == 0
