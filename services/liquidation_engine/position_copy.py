"""The engine's own copy of the positions, kept current from the note monitor.

A full paginated read at first start (or when the monitor's version goes backwards, i.e. it
lost its state); after that only `GET /positions?sinceVersion=N`, so a price notification
costs one small request, not a download of every position. Positions are indexed by asset
pair so a price change touches only the positions holding that asset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from services.liquidation_engine.monitor_client import MonitorClient, MonitorUnavailable
from services.liquidation_engine.planning.holds import Rereads
from services.liquidation_engine.planning.liquidation_index import LiquidationIndex
from shared.logging import get_logger
from shared.memory import collect_young, freeze_long_lived, gc_paused
from shared.positions import Position
from shared.protocols import reference
from shared.pxe.errors import PxeError
from shared.pxe.gateways import PxeGateways

log = get_logger()

Pair = tuple[str, str]  # (collateral asset, debt asset)
FULL_LOAD_TRIES = 3


class PositionCopy:
    def __init__(self, monitor: MonitorClient, pxe: PxeGateways, rereads: Rereads, page_size: int = 5000,
                 index: LiquidationIndex | None = None) -> None:
        self.index = index or LiquidationIndex(reference)
        self.monitor = monitor
        self.pxe = pxe  # the read gateways
        self.rereads = rereads
        self.page_size = page_size
        self.version = -1  # the cursor: every change up to it is in our copy; -1 = never loaded
        self._positions: dict[str, Position] = {}
        self._by_pair: dict[Pair, dict[str, Position]] = {}
        self._pairs_by_asset: dict[str, set[Pair]] = {}
        self._tokens: dict[str, str] = {}  # asset symbol -> token address, as the positions name them
        self.last_error: str | None = None
        self.last_changed: set[str] = set()  # escrows the last incremental read changed

    def __len__(self) -> int:
        return len(self._positions)

    @property
    def loaded(self) -> bool:
        return self.version >= 0

    def get(self, escrow: str) -> Position | None:
        return self._positions.get(escrow)

    def token_of(self, asset: str) -> str | None:
        """The token address the positions give for an asset symbol (the price feed is keyed by it)."""
        return self._tokens.get(asset)

    def pairs(self, assets: set[str] | None = None) -> list[Pair]:
        """Asset pairs holding any of `assets` (all pairs when None)."""
        if assets is None:
            return list(self._by_pair)
        found: set[Pair] = set()
        for asset in assets:
            found |= self._pairs_by_asset.get(asset, set())
        return sorted(found)

    def positions(self, pair: Pair) -> Iterable[Position]:
        # A live view: callers scan it without awaiting, so it cannot change under them.
        return self._by_pair.get(pair, {}).values()

    def count(self, pair: Pair) -> int:
        return len(self._by_pair.get(pair, {}))

    # --- changes ------------------------------------------------------------------------

    def candidates(self, pair: Pair, collateral_price: int, debt_price: int, now: int) -> Iterable[Position]:
        """The positions of `pair` that may be liquidatable at these prices (the index's superset)."""
        return self.index.candidates(pair, self.positions(pair), self._positions, collateral_price, debt_price, now)

    def put(self, position: Position) -> None:
        old = self._positions.get(position.escrow)
        if old is not None:
            self._unindex(old)
        self._positions[position.escrow] = position
        pair = (position.collateral_asset, position.debt_asset)
        self._by_pair.setdefault(pair, {})[position.escrow] = position
        self._tokens[position.collateral_asset] = position.collateral_token
        self._tokens[position.debt_asset] = position.debt_token
        for asset in pair:
            self._pairs_by_asset.setdefault(asset, set()).add(pair)
        self.index.add(position)

    def drop(self, escrow: str) -> None:
        old = self._positions.pop(escrow, None)
        if old is not None:
            self._unindex(old)

    def _unindex(self, position: Position) -> None:
        pair = (position.collateral_asset, position.debt_asset)
        group = self._by_pair.get(pair)
        if group is None:
            return
        group.pop(position.escrow, None)
        self.index.remove(position)
        if not group:
            del self._by_pair[pair]
            self.index.forget(pair)
            for asset in pair:
                pairs = self._pairs_by_asset.get(asset)
                if pairs is not None:
                    pairs.discard(pair)
                    if not pairs:
                        del self._pairs_by_asset[asset]

    def apply(self, item: dict[str, Any]) -> bool:
        """Apply one entry of the monitor's changes; whether it changed the copy."""
        escrow = str(item["escrow"])
        version = int(item.get("version", 0))
        current = self._positions.get(escrow)
        if current is not None and current.version >= version:
            return False  # a view we already hold (replays), or an older one; our own re-read keeps its version
        if current is not None and not item.get("removed") and int(item.get("blockNumber") or 0) < current.block_number:
            # The monitor read these notes before our own re-read after a liquidation: keep the newer state.
            return False
        if item.get("removed"):
            self.drop(escrow)
        else:
            self.put(Position.from_wire(item))
        return True

    def clear(self) -> None:
        self._positions.clear()
        self._by_pair.clear()
        self._pairs_by_asset.clear()
        self.index.clear()
        self.version = -1

    # --- reads from the monitor ----------------------------------------------------------

    async def refresh(self) -> int:
        """Bring the copy up to date; returns how many entries changed. Raises MonitorUnavailable."""
        try:
            if not self.loaded:
                return await self._full_load()
            return await self._incremental()
        except MonitorUnavailable as exc:
            self.last_error = str(exc)
            raise
        except (KeyError, ValueError, TypeError) as exc:
            self.last_error = f"note monitor sent an unexpected /positions body: {type(exc).__name__}"
            raise MonitorUnavailable(self.last_error) from None

    async def _full_load(self) -> int:
        # Pages are read by offset: a change between two pages can shift an unchanged entry past us.
        # A read during which the monitor's version did not move is consistent; retry a few times
        # for one, and the incremental read from the first page's version covers the rest.
        with gc_paused():  # a million records made at once: the collector would walk them again and again
            for _ in range(FULL_LOAD_TRIES):
                fresh, start_version, consistent = await self._read_all()
                if consistent:
                    break
            self.clear()
            for position in fresh:
                self.put(position)
        self.version = start_version
        changed = await self._incremental()
        self.last_error = None
        # A million long-lived positions would make every full collection walk them all (tens of ms,
        # right in the middle of a liquidation burst).
        freeze_long_lived()
        log.info("Positions loaded", positions=len(self), version=self.version)
        return len(fresh) + changed

    async def _read_all(self) -> tuple[list[Position], int, bool]:
        """Every position, the monitor's version at the first page, and whether it stayed the same."""
        offset = 0
        versions: list[int] = []
        fresh: list[Position] = []
        while True:
            body = await self.monitor.positions(limit=self.page_size, offset=offset)
            versions.append(int(body["version"]))
            page = body["positions"]
            fresh.extend(map(Position.from_wire, page))  # a page's JSON never outlives the page
            collect_young()
            offset += len(page)
            if not page or offset >= int(body["total"]):
                return fresh, versions[0], versions[0] == versions[-1]

    async def _incremental(self) -> int:
        offset = 0
        changed = 0
        self.last_changed = set()
        versions: list[int] = []
        while True:
            body = await self.monitor.positions(limit=self.page_size, offset=offset, since_version=self.version)
            version = int(body["version"])
            if version < self.version:
                log.warning("Note monitor version went backwards; reloading positions",
                            known=self.version, monitor=version)
                self.clear()
                return await self._full_load()
            versions.append(version)
            page = body["positions"]
            for item in page:
                if self.apply(item):
                    self.last_changed.add(str(item["escrow"]))
            changed += len(page)
            offset += len(page)
            if not page or offset >= int(body["total"]):
                break
        # The monitor publishes a version only once its entry is visible, so the cursor may move to
        # it; but if it moved between pages, an entry may have shifted past us: read again from here.
        if versions[0] == versions[-1]:
            self.version = versions[0]
        self.last_error = None
        return changed

    # --- our own reads, after a liquidation changed an escrow -----------------------------

    async def reread(self, position: Position) -> bool:
        """Read the escrow's notes ourselves so the next check sees what the liquidation left."""
        pxe = self.pxe.next()  # one gateway for the three: the notes synced are the notes read
        try:
            # The block first: the notes read after it are at least that new (as the monitor stamps them).
            block = await pxe.block_number()
            await pxe.sync_private_state(position.escrow)
            notes = await pxe.collateral_and_debt(position.pool, position.escrow)
        except PxeError as exc:
            log.warning("Escrow re-read failed", escrow=position.escrow, error=str(exc) or type(exc).__name__)
            return False
        current = self.get(position.escrow) or position
        self.put(replace(current, collateral_amount=notes.collateral_amount, debt_principal=notes.debt_principal,
                         debt_epoch=notes.debt_epoch, block_number=max(block, current.block_number)))
        self.rereads.done(position.escrow)
        return True
