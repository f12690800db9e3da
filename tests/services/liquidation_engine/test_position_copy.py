"""The engine's position copy: one full paginated read, then only changes; a reload when the monitor's
version goes backwards (it lost its state). The note monitor's real index serves the pages."""

from __future__ import annotations

from typing import Any

from services.liquidation_engine.planning.holds import Rereads
from services.liquidation_engine.position_copy import PositionCopy
from services.note_monitor.positions import PositionIndex
from shared.positions import Position, RemovedPosition


def addr(n: int) -> str:
    return f"0x{n:064x}"


class IndexMonitor:
    """Answers GET /positions from a real note-monitor PositionIndex, exactly as its route does."""

    def __init__(self) -> None:
        self.index = PositionIndex()
        self.requests: list[dict[str, Any]] = []

    def put(self, n: int, amount: int = 10**18, collateral: str = "BTC") -> None:
        self.index.put(Position(addr(n), addr(1000), collateral, addr(2000), amount, "USDC", addr(3000), 5 * 10**20, 7,
                                8000, 1_750_000_000, 1, self.index.next_version()))

    async def positions(self, *, limit: int, offset: int, since_version: int | None = None) -> dict[str, Any]:
        self.requests.append({"limit": limit, "offset": offset, "sinceVersion": since_version})
        if since_version is None:
            page, total = self.index.page(limit, offset)
        else:
            changes = self.index.since(since_version)
            page, total = changes[offset: offset + limit], len(changes)
        return {"positions": [p.to_wire() for p in page], "total": total, "limit": limit, "offset": offset,
                "version": self.index.version}


async def test_full_read_once_then_only_changes_and_removals() -> None:
    monitor = IndexMonitor()
    for n in range(1, 8):
        monitor.put(n, collateral="ETH" if n == 7 else "BTC")
    mirror = PositionCopy(monitor, None, Rereads(), page_size=3)  # type: ignore[arg-type]
    await mirror.refresh()
    assert len(mirror) == 7 and mirror.version == 7
    assert [r["sinceVersion"] for r in monitor.requests] == [None, None, None, 7]
    assert mirror.pairs({"ETH"}) == [("ETH", "USDC")] and len(mirror.pairs()) == 2
    assert mirror.count(("BTC", "USDC")) == 6

    monitor.requests.clear()
    monitor.put(2, amount=5)
    monitor.index.remove(RemovedPosition(addr(7), "ETH", "USDC", monitor.index.next_version()))
    assert await mirror.refresh() == 2
    assert monitor.requests == [{"limit": 3, "offset": 0, "sinceVersion": 7}]
    assert mirror.get(addr(2)).collateral_amount == 5 and mirror.get(addr(7)) is None  # type: ignore[union-attr]
    assert mirror.pairs({"ETH"}) == [] and mirror.version == 9

    monitor.requests.clear()
    assert await mirror.refresh() == 0 and len(monitor.requests) == 1


async def test_a_monitor_that_lost_its_state_is_read_again_in_full() -> None:
    monitor = IndexMonitor()
    for n in range(1, 6):
        monitor.put(n)
    mirror = PositionCopy(monitor, None, Rereads(), page_size=100)  # type: ignore[arg-type]
    await mirror.refresh()
    assert mirror.version == 5

    fresh = IndexMonitor()  # restarted without its database: version 2, other escrows
    fresh.put(10)
    fresh.put(11)
    mirror.monitor = fresh  # type: ignore[assignment]
    await mirror.refresh()
    assert sorted(p for p in (mirror.get(addr(n)) and addr(n) for n in range(1, 12)) if p) == [addr(10), addr(11)]
    assert mirror.version == 2 and len(mirror) == 2


async def test_a_change_between_pages_never_loses_an_entry() -> None:
    """Changes are paged by offset: one arriving between two pages moves an entry to the end and
    shifts an unchanged one past the reader. The cursor only moves on a read the monitor held still."""
    monitor = IndexMonitor()
    for n in range(1, 5):
        monitor.put(n)
    mirror = PositionCopy(monitor, None, Rereads(), page_size=2)  # type: ignore[arg-type]
    await mirror.refresh()
    for n in range(1, 5):
        monitor.put(n, amount=n)  # four changes: pages [1, 2] and [3, 4]
    answer = monitor.positions

    async def change_after_first_page(**query: Any) -> dict[str, Any]:
        body = await answer(**query)
        if query["offset"] == 0 and query["since_version"] is not None and len(monitor.requests) == 4:
            monitor.put(1, amount=100)  # entry 1 moves to the end: entry 3 now sits on page 1
        return body

    monitor.positions = change_after_first_page  # type: ignore[method-assign]
    await mirror.refresh()
    await mirror.refresh()
    assert [mirror.get(addr(n)).collateral_amount for n in range(1, 5)] == [100, 2, 3, 4]  # type: ignore[union-attr]
    assert mirror.version == monitor.index.version


async def test_a_monitor_view_older_than_our_own_reread_does_not_overwrite_it() -> None:
    from dataclasses import replace

    monitor = IndexMonitor()
    monitor.put(1)
    mirror = PositionCopy(monitor, None, Rereads())  # type: ignore[arg-type]
    await mirror.refresh()
    # After a liquidation the engine re-read the escrow at block 50: collateral shrank to 4.
    fresh = replace(mirror.get(addr(1)), collateral_amount=4, block_number=50)  # type: ignore[type-var]
    mirror.put(fresh)
    # The monitor's sync read block 40 (before the liquidation) and publishes it with a newer version.
    monitor.index.put(Position(addr(1), addr(1000), "BTC", addr(2000), 7, "USDC", addr(3000), 5 * 10**20, 7, 8000,
                               1_750_000_000, 40, monitor.index.next_version()))
    await mirror.refresh()
    assert mirror.get(addr(1)).collateral_amount == 4  # type: ignore[union-attr]
    # A later sync (block 60) is newer than our re-read: it wins.
    monitor.index.put(Position(addr(1), addr(1000), "BTC", addr(2000), 3, "USDC", addr(3000), 5 * 10**20, 7, 8000,
                               1_750_000_000, 60, monitor.index.next_version()))
    await mirror.refresh()
    assert mirror.get(addr(1)).collateral_amount == 3  # type: ignore[union-attr]
