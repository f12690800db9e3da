"""Two note monitors as processes on one PostgreSQL database, each reading its own development PXE
(issue 14's proof): the escrows split between them, each synced by exactly one; one monitor killed with
SIGKILL, the other syncs every escrow within two sync intervals plus the membership TTL.

Both dev PXEs are started with one `--salt` and seeded alike (`dev_seedDemo`), so they hold the same
escrows at the same addresses. Which monitor synced a position shows in the position itself: every
escrow's collateral is set one unit above the demo's on PXE a and two units above on PXE b, so a
position synced through monitor-a reads +1 and through monitor-b +2. An escrow synced by both would
flip between the two at every sync, and its version would move: the versions are checked to stand.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devnet.chain.local import free_port
from devnet.pxe.admin import Admin
from devnet.suite import REPO, stop_process
from shared.leases import owner
from tests.fixtures.processes import ServiceProcess, wait_until

SYNC = 2.0  # SYNC_INTERVAL
TTL = 2.0  # SYNC_MEMBER_TTL: a member unrenewed for this long is gone
ESCROWS = 20
SALT = "replica-failover"
A, B = "monitor-a", "monitor-b"


class DevPxeProcess:
    """`python -m devnet.pxe` on a free port, its log in `log_dir`."""

    def __init__(self, name: str, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin = Admin(self.url)
        self._log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devnet.pxe", "--port", str(self.port), "--salt", SALT, "--block-time", "0.2"],
            cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._answers, 30, f"the dev PXE {name} to answer")

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the dev PXE exited with {self.process.returncode}")
        try:
            return httpx.get(f"{self.url}/status", timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        stop_process(self.process)
        self._log.close()


@pytest.fixture
def dev_pxes(tmp_path: Path) -> Iterator[tuple[DevPxeProcess, DevPxeProcess]]:
    started: list[DevPxeProcess] = []
    try:
        for name in ("pxe-a", "pxe-b"):
            started.append(DevPxeProcess(name, tmp_path))
        yield started[0], started[1]
    finally:
        for pxe in started:
            pxe.stop()


def positions(monitor: ServiceProcess) -> dict[str, dict[str, Any]]:
    body = monitor.get("/positions", params={"limit": 1000}).json()
    return {p["escrow"]: p for p in body["positions"]}


def marks(monitor: ServiceProcess, demo: dict[str, int]) -> dict[str, int]:
    """Each position's collateral above the demo's: 1 when read from PXE a, 2 from PXE b."""
    return {e: int(p["collateralAmount"]) - demo[e] for e, p in positions(monitor).items()}


def syncs(monitor: ServiceProcess) -> int:
    return len(monitor.events("Note sync completed")) + len(monitor.events("Note sync failed"))


def start_monitors(processes: Callable[..., ServiceProcess], postgres_url: str,
                   pxe_a: DevPxeProcess, pxe_b: DevPxeProcess) -> tuple[ServiceProcess, ServiceProcess]:
    env = {"DATABASE_URL": postgres_url, "SYNC_INTERVAL": str(SYNC), "SYNC_MEMBER_TTL": str(TTL)}
    both = (processes("note-monitor", A, {**env, "PXE_URL": pxe_a.url}),
            processes("note-monitor", B, {**env, "PXE_URL": pxe_b.url}))
    wait_until(lambda: all(m.health()["members"] == [A, B] for m in both), 2 * TTL, "both monitors to see two members")
    assert [m.health()["instanceId"] for m in both] == [A, B]
    return both


def mark_every_escrow(pxe_a: DevPxeProcess, pxe_b: DevPxeProcess, addresses: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Collateral one unit above the demo's on PXE a, two on PXE b; the demo's collateral and loan epochs."""
    demo: dict[str, int] = {}
    epochs: dict[str, int] = {}
    for address in addresses:
        position = pxe_a.admin.call("dev_getPosition", [address])
        demo[address], epochs[address] = int(position["collateralAmount"]), position["loanEpoch"]
        for mark, pxe in ((1, pxe_a), (2, pxe_b)):
            pxe.admin.call("dev_setPosition", [address, str(demo[address] + mark), position["loanPrincipal"], epochs[address]])
    return demo, epochs


def assert_each_escrow_synced_by_exactly_one(both: tuple[ServiceProcess, ServiceProcess], demo: dict[str, int],
                                             expected: dict[str, int]) -> None:
    wait_until(lambda: marks(both[0], demo) == expected, 3 * SYNC, "every escrow synced through its owner's PXE")
    assert marks(both[1], demo) == expected  # the whole book served by each
    # Two more syncs each: nothing flips (an escrow synced by both would), and the shares sum to all.
    versions = {e: p["version"] for e, p in positions(both[0]).items()}
    runs = [syncs(m) for m in both]
    wait_until(lambda: all(syncs(m) >= n + 2 for m, n in zip(both, runs, strict=True)), 3 * SYNC, "two more syncs each")
    assert {e: p["version"] for e, p in positions(both[0]).items()} == versions
    assert marks(both[0], demo) == expected
    shares = [m.health()["syncedEscrows"] for m in both]
    assert shares == [sum(m == 1 for m in expected.values()), sum(m == 2 for m in expected.values())]
    assert sum(shares) == ESCROWS


def test_the_survivor_syncs_every_escrow_within_two_sync_intervals_after_a_monitor_is_killed(
        dev_pxes: tuple[DevPxeProcess, DevPxeProcess], postgres_url: str,
        processes: Callable[..., ServiceProcess]) -> None:
    pxe_a, pxe_b = dev_pxes
    seeded = [pxe.admin.seed_demo(escrows=ESCROWS, registered=True)["escrows"] for pxe in dev_pxes]
    addresses = [e["address"] for e in seeded[0]]
    assert addresses == [e["address"] for e in seeded[1]]  # one salt, one seeding: the same escrows
    assert len(set(addresses)) == ESCROWS

    both = monitor_a, monitor_b = start_monitors(processes, postgres_url, pxe_a, pxe_b)
    for i, address in enumerate(addresses):  # registered through either monitor: each follows the other's writes
        assert both[i % 2].post("/escrows", {"address": address}).status_code == 201
    wait_until(lambda: all(len(positions(m)) == ESCROWS for m in both), 2 * SYNC, "both monitors to serve every position")

    demo, epochs = mark_every_escrow(pxe_a, pxe_b, addresses)
    expected = {e: 1 if owner([A, B], e) == A else 2 for e in addresses}
    assert 0 < sum(m == 1 for m in expected.values()) < ESCROWS  # both monitors have a share
    assert_each_escrow_synced_by_exactly_one(both, demo, expected)

    # monitor-b killed: its lease runs out and monitor-a takes its escrows (read from PXE a: mark 1).
    changed = sorted(e for e, m in expected.items() if m == 2)[0]
    monitor_b.stop(kill=True)
    killed_at = int(time.time())
    pxe_a.admin.call("dev_setPosition", [changed, str(demo[changed] + 7), str(10**18), epochs[changed]])
    after = {**{e: 1 for e in addresses}, changed: 7}

    def taken_over() -> bool:
        health, served = monitor_a.health(), positions(monitor_a)
        return (health["members"] == [A] and health["syncedEscrows"] == ESCROWS and len(served) == ESCROWS
                and all(p["syncedAt"] > killed_at for p in served.values())
                and marks(monitor_a, demo) == after)

    wait_until(taken_over, 2 * SYNC + TTL, "monitor-a to sync every escrow after monitor-b is killed")

    assert positions(monitor_a)[changed]["debtPrincipal"] == str(10**18)  # the change made in PXE a after the kill
    assert monitor_a.health()["checks"]["lastSyncFailures"] == 0
    assert monitor_a.events("Replica members changed")[-1]["members"] == [A]
    assert not monitor_a.events("Monitor follow failed") and not monitor_a.events("Position store write failed")
    assert not monitor_b.events("Replica lease unreachable")
