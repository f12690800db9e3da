"""The position index and its storage: versions, incremental reads, tombstones, restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.note_monitor.escrows import Escrow, position_of
from services.note_monitor.positions import PositionIndex
from services.note_monitor.store import PositionStore
from shared.db import Database
from shared.positions import Position, RemovedPosition
from shared.pxe.client import Notes


def addr(n: int) -> str:
    return f"0x{n:064x}"


def escrow(n: int, collateral: str = "BTC", debt: str = "USDC") -> Escrow:
    return Escrow(addr(n), addr(1000), addr(2000), addr(3000), collateral, debt, 8000, False, 1_700_000_000 + n)


def position(n: int, version: int, amount: int = 10**18, collateral: str = "BTC") -> Position:
    return position_of(escrow(n, collateral), Notes(amount, 5 * 10**20, 7), 1_700_000_100, 42, version)


def test_since_returns_only_changes_after_the_version_oldest_first() -> None:
    index = PositionIndex()
    for n in range(1, 6):
        index.put(position(n, index.next_version()))
    assert index.version == 5
    index.put(position(2, index.next_version(), amount=2 * 10**18))
    index.remove(RemovedPosition(addr(4), "BTC", "USDC", index.next_version()))

    changes = index.since(5)
    assert [(c.escrow, c.version) for c in changes] == [(addr(2), 6), (addr(4), 7)]
    assert isinstance(changes[1], RemovedPosition) and changes[0].collateral_amount == 2 * 10**18
    assert index.since(7) == [] and index.since(100) == []
    assert [c.escrow for c in index.since(0)] == [addr(1), addr(3), addr(5), addr(2), addr(4)]
    assert len(index) == 4 and index.get(addr(4)) is None


def test_since_filters_by_asset_including_tombstones() -> None:
    index = PositionIndex()
    index.put(position(1, index.next_version(), collateral="BTC"))
    index.put(position(2, index.next_version(), collateral="ETH"))
    index.remove(RemovedPosition(addr(2), "ETH", "USDC", index.next_version()))
    assert [c.escrow for c in index.since(0, "ETH")] == [addr(2)]
    assert [c.escrow for c in index.since(0, "USDC")] == [addr(1), addr(2)]


def test_page_is_ordered_by_address_and_counts_matches() -> None:
    index = PositionIndex()
    for n in (5, 3, 9, 1):
        index.put(position(n, index.next_version(), collateral="ETH" if n == 9 else "BTC"))
    page, total = index.page(limit=2, offset=1)
    assert [p.escrow for p in page] == [addr(3), addr(5)] and total == 4
    page, total = index.page(limit=10, offset=0, asset="ETH")
    assert [p.escrow for p in page] == [addr(9)] and total == 1
    index.put(position(2, index.next_version()))
    assert [p.escrow for p in index.page(10, 0)[0]][:2] == [addr(1), addr(2)]


def test_reregistering_a_removed_escrow_replaces_its_tombstone() -> None:
    index = PositionIndex()
    index.put(position(1, index.next_version()))
    index.remove(RemovedPosition(addr(1), "BTC", "USDC", index.next_version()))
    index.put(position(1, index.next_version()))
    assert [(type(c).__name__, c.version) for c in index.since(0)] == [("Position", 3)]


def test_load_never_moves_the_counter_backwards() -> None:
    index = PositionIndex()
    index.load([position(1, 3)], [RemovedPosition(addr(2), "BTC", "USDC", 9)], version=7)
    assert index.version == 9 and index.next_version() == 10
    assert [c.escrow for c in index.since(3)] == [addr(2)]


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/monitor.db")
    store = PositionStore(db)
    await store.init()
    yield store
    await db.close()


async def test_store_round_trip_keeps_amounts_exact_and_version(store: PositionStore) -> None:
    big = 123456789012345678901234567890
    await store.save_registration(escrow(1), position(1, 1, amount=big), version=1)
    await store.save_registration(escrow(2), position(2, 2), version=2)
    changed = position(1, 3, amount=big + 1)
    await store.save_sync([changed], [addr(2)], synced_at=1_800_000_000, block_number=77, version=3)
    await store.save_removal(RemovedPosition(addr(2), "BTC", "USDC", 4), version=4)
    await store.save_sync([], [], 0, 0, version=2)  # an older version never lowers the stored one

    snap = await store.load()
    assert snap.version == 4
    assert [e.address for e in snap.escrows] == [addr(1)]
    assert [(p.escrow, p.collateral_amount, p.version) for p in snap.positions] == [(addr(1), big + 1, 3)]
    assert snap.removals == [RemovedPosition(addr(2), "BTC", "USDC", 4)]


async def test_store_refresh_updates_synced_at_without_a_new_version(store: PositionStore) -> None:
    await store.save_registration(escrow(1), position(1, 1), version=1)
    await store.save_sync([], [addr(1)], synced_at=1_900_000_000, block_number=99, version=1)
    (p,) = (await store.load()).positions
    assert (p.synced_at, p.block_number, p.version) == (1_900_000_000, 99, 1)


def test_readers_never_see_a_version_before_its_entry() -> None:
    from services.note_monitor.positions import PositionIndex

    index = PositionIndex()
    before = index.version
    allocated = index.next_version()
    # Between allocation and put (the change is being stored), readers still see the old version,
    # so a reader at that version will get the entry on its next read.
    assert index.version == before and index.since(before) == []
    assert allocated == before + 1 and index.allocated == allocated
