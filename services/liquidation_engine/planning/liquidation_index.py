"""Positions ordered by the price at which they become liquidatable, per asset pair.

Each position's key bounds, from above, the ratio collateral price / debt price below which it can be
liquidatable (the protocol module's `ratio_bound`), computed with its debt as it will be at the
index's horizon epoch (a little ahead: debt only grows, so the key stays an upper bound until then).
A price change then looks only at the positions whose key is above the new ratio: a bisection, not
a scan of the book. The exact integer check of the protocol module still decides every one of them,
so the index may offer a position that is not liquidatable but never misses one that is.

The index follows the position copy's changes one by one; it is rebuilt only when the epoch reaches
its horizon, or when a debt price falls below the floor its keys were computed for (nocom-v1).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sortedcontainers import SortedList  # type: ignore[import-untyped]

from shared.positions import Position
from shared.protocols import LendingRules

HORIZON_EPOCHS = 16  # keys valid four hours ahead of the epoch they were computed in
RATIO_SCALE = 10**27  # prices' ratio as an integer: cp * RATIO_SCALE // dp
ALWAYS = 1 << 400  # the key of a position liquidatable at any prices (no collateral value)
FLOOR_DIVISOR = 16  # a pair's keys assume its debt price stays above 1/16 of what it was at build time
_LAST = chr(0x10FFFF)

Pair = tuple[str, str]


class LiquidationIndex:
    def __init__(self, rules: LendingRules) -> None:
        self.rules = rules
        self.horizon = -1  # the end epoch the keys' debts are computed for
        self._pairs: dict[Pair, SortedList] = {}  # pair -> [(key, escrow)]
        self._floors: dict[Pair, int] = {}  # pair -> the debt price floor its keys assume
        self.rebuilds = 0

    def key(self, position: Position, floor: int) -> int:
        offset = self.rules.interest_offset(position.debt_epoch, self.horizon)
        debt = position.debt_principal + position.debt_principal * offset // self.rules.INTEREST_BASE
        bound = self.rules.ratio_bound(position.collateral_amount, position.liquidation_threshold_bps, debt, floor)
        if bound is None:
            return ALWAYS
        num, den = bound
        return -(-num * RATIO_SCALE // den)  # rounded up: still an upper bound

    def add(self, position: Position) -> None:
        entries = self._pairs.get(position.pair)
        if entries is not None:
            entries.add((self.key(position, self._floors[position.pair]), position.escrow))

    def remove(self, position: Position) -> None:
        entries = self._pairs.get(position.pair)
        if entries is not None:
            entries.discard((self.key(position, self._floors[position.pair]), position.escrow))

    def candidates(self, pair: Pair, positions: Iterable[Position], lookup: dict[str, Position],
                   collateral_price: int, debt_price: int, now: int) -> Iterator[Position]:
        """The positions of `pair` that may be liquidatable at these prices (a superset of those that are)."""
        self._keep_current(pair, positions, debt_price, now)
        ratio = collateral_price * RATIO_SCALE // debt_price if debt_price > 0 else 0
        entries = self._pairs[pair]
        for _, escrow in entries.islice(entries.bisect_right((ratio, _LAST))):
            position = lookup.get(escrow)
            if position is not None:
                yield position

    def warm(self, pair: Pair, positions: Iterable[Position], debt_price: int, now: int) -> None:
        """Build the pair's keys now if a price check would have to (first use, a new horizon, a debt price
        under the floor), so it is done off the path of a price notification."""
        self._keep_current(pair, positions, debt_price, now)

    def _keep_current(self, pair: Pair, positions: Iterable[Position], debt_price: int, now: int) -> None:
        end = self.rules.next_epoch(now - self.rules.ANCHOR_LAG)
        if end >= self.horizon:  # debts have caught up with the keys: every pair is rebuilt on demand
            self.horizon = end + HORIZON_EPOCHS
            self._pairs.clear()
            self._floors.clear()
        if pair not in self._pairs or debt_price < self._floors[pair]:
            floor = max(1, debt_price // FLOOR_DIVISOR)
            self._floors[pair] = floor
            self._pairs[pair] = SortedList((self.key(p, floor), p.escrow) for p in positions)
            self.rebuilds += 1

    def forget(self, pair: Pair) -> None:
        self._pairs.pop(pair, None)
        self._floors.pop(pair, None)

    def clear(self) -> None:
        self._pairs.clear()
        self._floors.clear()
