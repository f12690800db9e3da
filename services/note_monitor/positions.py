"""The in-memory position index with its version counter.

Every change takes the next version. `_changes` keeps escrows in the order of their last
change (moved to the end on each change), so `since(v)` walks back from the newest change
and stops at the first one not newer than `v`: its cost is the number of changes, not the
number of positions.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.positions import Position, RemovedPosition

Entry = Position | RemovedPosition


class PositionIndex:
    """`version` is what readers see: it only moves past a change once that change is visible,
    so a `sinceVersion` reader never skips an entry still being stored. `allocated` is the
    highest version handed out (what storage keeps, so a restart never reuses one)."""

    def __init__(self, version: int = 0) -> None:
        self.version = version
        self.allocated = version
        self._positions: dict[str, Position] = {}
        self._removed: dict[str, RemovedPosition] = {}
        self._changes: dict[str, int] = {}  # insertion-ordered: re-inserted on each change (no linked list)
        self._sorted: list[str] | None = None

    def __len__(self) -> int:
        return len(self._positions)

    def load(self, positions: Iterable[Position], removals: Iterable[RemovedPosition], version: int) -> None:
        """Fill from storage; the counter never goes below any version already handed out."""
        entries: list[Entry] = [*positions, *removals]
        entries.sort(key=lambda e: e.version)
        for entry in entries:
            self._record(entry)
        self.version = max([version, self.version, *(e.version for e in entries[-1:])])
        self.allocated = max(self.allocated, self.version)

    def next_version(self) -> int:
        self.allocated += 1
        return self.allocated

    def get(self, escrow: str) -> Position | None:
        return self._positions.get(escrow)

    def put(self, position: Position) -> None:
        """Store a position whose `version` came from `next_version()`."""
        self._record(position)
        self.version = max(self.version, position.version)
        self.allocated = max(self.allocated, self.version)

    def remove(self, removed: RemovedPosition) -> None:
        self._record(removed)
        self.version = max(self.version, removed.version)
        self.allocated = max(self.allocated, self.version)

    def _record(self, entry: Entry) -> None:
        key = entry.escrow
        membership_changes = (key in self._positions) != isinstance(entry, Position)
        if isinstance(entry, Position):
            self._positions[key] = entry
            self._removed.pop(key, None)
        else:
            self._positions.pop(key, None)
            self._removed[key] = entry
        self._changes.pop(key, None)
        self._changes[key] = entry.version
        if membership_changes:
            self._sorted = None

    def since(self, version: int, asset: str | None = None) -> list[Entry]:
        """Positions and tombstones changed after `version`, oldest change first."""
        newer: list[Entry] = []
        for key in reversed(self._changes):
            if self._changes[key] <= version:
                break
            entry = self._positions.get(key) or self._removed[key]
            if asset is None or entry.has_asset(asset):
                newer.append(entry)
        newer.reverse()
        return newer

    def page(self, limit: int, offset: int, asset: str | None = None) -> tuple[list[Position], int]:
        """Current positions ordered by escrow address, and how many match in all."""
        if self._sorted is None:
            self._sorted = sorted(self._positions)
        if asset is None:
            keys = self._sorted[offset : offset + limit]
            return [self._positions[k] for k in keys], len(self._sorted)
        matching = [k for k in self._sorted if self._positions[k].has_asset(asset)]
        return [self._positions[k] for k in matching[offset : offset + limit]], len(matching)
