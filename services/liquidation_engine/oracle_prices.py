"""Prices from the protocol's feed: the prices the escrow contract will check, with staleness.

A price older than 2 x PRICE_HEARTBEAT (or missing) is not used for any liquidation. A feed whose ages
cannot be known (nocom-v1's without a price service: `ages_known` False) is used as the contract uses it:
every price it holds, whatever its age.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from shared.feeds.onchain_price import PriceReader, PricesUnavailable
from shared.logging import get_logger

log = get_logger()

__all__ = ["OraclePrices", "PriceSnapshot", "PricesUnavailable"]


@dataclass(frozen=True)
class PriceSnapshot:
    usable: dict[str, int]  # symbol -> 8-decimal price, fresh and positive
    stale: dict[str, int]  # symbol -> updatedAt of a price too old to use
    missing: list[str]


class OraclePrices:
    def __init__(self, reader: PriceReader, stale_after: float, clock: Callable[[], float] = time.time, *,
                 ages_known: bool = True) -> None:
        self.reader = reader
        self.stale_after = stale_after
        self.ages_known = ages_known
        self._clock = clock

    async def snapshot(self, symbols: Iterable[str]) -> PriceSnapshot:
        wanted = sorted(set(symbols))
        if not wanted:
            return PriceSnapshot({}, {}, [])
        raw = await self.reader.read(wanted)
        now = self._clock()
        usable: dict[str, int] = {}
        stale: dict[str, int] = {}
        missing: list[str] = []
        for symbol in wanted:
            price = raw.get(symbol)
            if price is None or price.price <= 0 or (self.ages_known and price.updated_at <= 0):
                missing.append(symbol)
                log.warning("Price unavailable", asset=symbol)
            elif self.ages_known and now - price.updated_at > self.stale_after:
                stale[symbol] = price.updated_at
                log.warning("Price stale", asset=symbol, updatedAt=price.updated_at)
            else:
                usable[symbol] = price.price
        return PriceSnapshot(usable, stale, missing)
