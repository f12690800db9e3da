"""A price as a feed holds it, whichever feed: the EVM PriceOracle or nocom-v1's Aztec MockPriceFeed.

Both services read feeds (the price service reads back what it wrote, the engine reads what a
liquidation will assert), so the record and the reader interface are one, here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OnChainPrice:
    price: int  # in the feed's own decimals; 0 when the feed has no price
    updated_at: int  # the source's observation time of the stored price (the EVM oracle's observedAt; for the Aztec feed, when
    # our price service set it); 0 when unknown
    tx_hash: str | None = None

    @property
    def exists(self) -> bool:
        return self.updated_at > 0


class PricesUnavailable(Exception):
    """The feed could not be read (chain down, no address configured, an unexpected answer)."""


class PriceReader(Protocol):
    async def read(self, symbols: list[str]) -> dict[str, OnChainPrice]:
        """Every symbol's price and time, (0, 0) for one the oracle does not know. PricesUnavailable otherwise."""
        ...

    async def close(self) -> None: ...
