"""Reads a check can start before it knows exactly what it needs: a price notification names its
assets, so the oracle prices and the liquidator's balances of the pairs holding them are read while
the position copy is refreshed (three round trips at once instead of one after the other)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from services.liquidation_engine.oracle_prices import OraclePrices, PriceSnapshot
from services.liquidation_engine.position_copy import PositionCopy
from services.liquidation_engine.sending import LiquidationSender

T = TypeVar("T")


class Prefetch:
    def __init__(self, positions: PositionCopy, prices: OraclePrices, sender: LiquidationSender,
                 assets: set[str] | None, balances: bool) -> None:
        pairs = positions.pairs(assets) if assets is not None else []
        self.assets = {asset for pair in pairs for asset in pair}
        tokens = {first.debt_token for pair in pairs if (first := next(iter(positions.positions(pair)), None))}
        self._prices = _start(prices.snapshot(self.assets)) if self.assets else None
        self._balances = _start(sender.balances(tokens)) if balances and tokens and sender.liquidator else None
        self.tokens = tokens

    async def prices(self, needed: set[str], prices: OraclePrices) -> PriceSnapshot:
        """The snapshot for `needed`: the one read ahead when it covers them, else a fresh read."""
        if self._prices is not None and needed <= self.assets:
            snapshot = await self._prices
            return PriceSnapshot({s: p for s, p in snapshot.usable.items() if s in needed},
                                 {s: t for s, t in snapshot.stale.items() if s in needed},
                                 [s for s in snapshot.missing if s in needed])
        return await prices.snapshot(needed)

    async def balances(self) -> dict[str, int] | None:
        """The balances read ahead, or None (the sender reads them then)."""
        if self._balances is None:
            return None
        try:
            return await self._balances
        except Exception:  # noqa: BLE001 - the sender reads again and reports what went wrong
            return None

    def cancel(self) -> None:
        for task in (self._prices, self._balances):
            if task is not None and not task.done():
                task.cancel()


def _start(work: Awaitable[T]) -> asyncio.Task[T]:
    task: asyncio.Task[T] = asyncio.ensure_future(work)
    task.add_done_callback(lambda t: t.cancelled() or t.exception())  # never "exception was never retrieved"
    return task
