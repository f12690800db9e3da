"""Note monitors sharing a database split the escrows and serve the whole book (issue 14).

Rendezvous assignment; membership leases on SQLite and PostgreSQL; two monitors in one process on
PostgreSQL, each with its own (fake) PXE: every escrow synced by exactly one, both serve every position
and every change after a version, and a stopped monitor's escrows move to the other. The process-level
proof (kill -9) is in test_failover.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from services.note_monitor.models import MIGRATIONS, leases
from services.note_monitor.service import NoteMonitor
from services.note_monitor.settings import NoteMonitorSettings
from shared.leases import Membership, owner
from shared.migrations import upgrade
from shared.pxe.client import Notes
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY
from tests.fixtures.databases import tracked_database
from tests.services.note_monitor.fakes import E18, FakePxe, escrow

TTL = 1.0


async def within(seconds: float, check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        await asyncio.sleep(0.05)


def test_rendezvous_moves_only_the_escrows_of_the_member_that_left() -> None:
    escrows = [escrow(n) for n in range(1, 301)]
    three = {e: owner(["a", "b", "c"], e) for e in escrows}
    two = {e: owner(["a", "c"], e) for e in escrows}
    assert {three[e] for e in escrows} == {"a", "b", "c"}
    assert all(two[e] == three[e] for e in escrows if three[e] != "b")
    assert all(owner(["c", "a"], e) == two[e] for e in escrows)  # the order of the list does not matter


async def test_members_see_each_other_and_a_released_member_is_gone(database_url: str) -> None:
    db = tracked_database(database_url)
    await upgrade(db, MIGRATIONS)
    a = Membership(db, leases, "monitor", "mon-a", TTL, shared=True)
    b = Membership(tracked_database(database_url), leases, "monitor", "mon-b", TTL, shared=True)
    await a.renew()
    assert await b.renew() and b.members == ["mon-a", "mon-b"]
    assert await a.renew() and a.members == ["mon-a", "mon-b"]
    mine_a, mine_b = a.mine([escrow(n) for n in range(100)], str), b.mine([escrow(n) for n in range(100)], str)
    assert sorted(mine_a + mine_b) == sorted(escrow(n) for n in range(100)) and mine_a and mine_b
    await b.release()
    assert await a.renew() and a.members == ["mon-a"]
    assert len(a.mine([escrow(n) for n in range(100)], str)) == 100


async def test_alone_on_sqlite_there_is_no_membership(tmp_path) -> None:  # type: ignore[no-untyped-def]
    solo = Membership(tracked_database(f"sqlite+aiosqlite:///{tmp_path}/m.db"), leases, "monitor", "solo", TTL)
    assert not solo.shared and not await solo.renew() and solo.members == ["solo"]


@asynccontextmanager
async def monitor(url: str, name: str, pxe: FakePxe) -> AsyncIterator[NoteMonitor]:
    settings = load_settings(NoteMonitorSettings, liquidation_api_key=TEST_API_KEY, database_url=url, instance_id=name,
                             sync_interval=3600, sync_member_ttl=TTL)
    service = NoteMonitor(settings, pxe)  # type: ignore[arg-type]
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def mark(pxe: FakePxe, amount: int) -> None:
    """Every escrow's collateral at `amount` in this PXE: a position shows which monitor's PXE it was read from."""
    for address in list(pxe.notes):
        pxe.notes[address] = Notes(amount, 1_000 * E18, 3)


def collaterals(served: NoteMonitor, addresses: list[str]) -> dict[str, int]:
    return {e: served.position(e).collateral_amount for e in addresses}  # type: ignore[union-attr]


async def test_two_monitors_split_the_escrows_serve_the_whole_book_and_take_over(postgres_url: str) -> None:
    pxe_a, pxe_b = FakePxe(), FakePxe()
    everyone = [escrow(n) for n in range(1, 41)]
    for n in range(1, 41):
        pxe_a.add(n), pxe_b.add(n)
    async with monitor(postgres_url, "mon-a", pxe_a) as a, monitor(postgres_url, "mon-b", pxe_b) as b:
        for n in range(1, 21):
            await a.register(escrow(n), None, None)
        for n in range(21, 41):
            await b.register(escrow(n), None, None)
        await within(TTL, lambda: a.membership.members == b.membership.members == ["mon-a", "mon-b"], "both members")
        await a.periodic.wait_for_run(1)  # its first sync, and the one mon-b's arrival triggered
        await b.periodic.wait_for_run(0)

        mark(pxe_a, E18 + 1), mark(pxe_b, E18 + 2)
        await a.sync_now(), await b.sync_now()
        await a.follow(), await b.follow()
        expected = {e: E18 + (1 if owner(["mon-a", "mon-b"], e) == "mon-a" else 2) for e in everyone}
        assert collaterals(a, everyone) == collaterals(b, everyone) == expected  # each synced by its owner alone
        assert len(set(expected.values())) == 2 and a.syncer.last.escrows + b.syncer.last.escrows == 40  # type: ignore[union-attr]

        version = b.index.version
        moved = [e for e in everyone if expected[e] == E18 + 1][:3]
        for address in moved:
            pxe_a.notes[address] = pxe_b.notes[address] = Notes(E18 // 2, 1_000 * E18, 3)
        await a.sync_now()
        await b.follow()
        for served in (a, b):
            page, total, _ = served.positions_page(100, 0, None, None)
            assert total == 40 and len(served.escrows()) == 40
            changes, _, _ = served.positions_page(100, 0, None, version)
            assert sorted(p.escrow for p in changes) == sorted(moved)
            assert all(served.position(e).collateral_amount == E18 // 2 for e in moved)  # type: ignore[union-attr]

        await b.remove(escrow(40))
        await a.follow()
        assert a.position(escrow(40)) is None and len(a.escrows()) == 39

        await a.stop()  # a clean stop releases its membership: b syncs everything at once
        await within(TTL, lambda: b.membership.members == ["mon-b"], "mon-b to see mon-a gone")
        mark(pxe_b, E18 + 3)
        await b.sync_now()
        assert b.syncer.last.escrows == 39  # type: ignore[union-attr]
        assert collaterals(b, everyone[:39]) == dict.fromkeys(everyone[:39], E18 + 3)
