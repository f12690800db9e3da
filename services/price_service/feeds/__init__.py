"""Where the price service writes prices: one adapter per kind of feed, behind one small interface.

`evm_oracle.py` writes the PriceOracle contract the reference protocol reads; `aztec.py` writes nocom-v1's
MockPriceFeed through the PXE. The protocol module names the kind (PRICE_FEED, shared/feeds/kinds.py) and
the service picks the adapter by it; nothing else in the service knows which one it writes to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from shared.feeds.onchain_price import OnChainPrice


@dataclass(frozen=True)
class FeedPrice:
    price: int  # in the feed's own decimals
    observed_at: int  # when the sources observed it (Unix seconds)


@dataclass(frozen=True)
class Pushed:
    tx_hash: str
    block_number: int | None
    gas_used: int | None
    prices: dict[str, FeedPrice]  # what the mined transaction wrote


@dataclass
class PushOutcome:
    pushed: list[Pushed] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # asset -> why it is not on the feed
    replaced: int = 0  # transactions replaced at their nonce (EVM)
    cancelled: int = 0


class FeedUnavailable(Exception):
    """The feed cannot be read or written now (chain or PXE down, not configured)."""


class FeedMisconfigured(FeedUnavailable):
    """The configuration cannot work (a token address that is not the symbol's, no oracle code...)."""


# The newest prices to write, asked again when a stuck transaction is replaced (EVM).
LatestPrices = Callable[[], Awaitable[dict[str, FeedPrice]]]


class PriceFeed(Protocol):
    decimals: int

    @property
    def address(self) -> str: ...

    def to_feed_units(self, price_8_decimals: int) -> int: ...
    def token_of(self, symbol: str) -> str | None: ...
    async def prepare(self) -> None: ...
    async def read(self, symbols: list[str]) -> dict[str, OnChainPrice]: ...
    async def push(self, prices: dict[str, FeedPrice], latest: LatestPrices) -> PushOutcome: ...
    async def reachable(self) -> bool: ...
    async def close(self) -> None: ...


def round_to_decimals(price_8_decimals: int, decimals: int) -> int:
    """A quote (8 decimals) in a feed's decimals, rounded half up: what an operator expects from
    "rounded to 4 decimals" and what the protocol's own TypeScript did (Math.round). Half up on a
    positive price is symmetric enough: it moves a price by at most half a unit of the last decimal."""
    if decimals >= 8:
        scale: int = 10 ** (decimals - 8)
        return price_8_decimals * scale
    unit: int = 10 ** (8 - decimals)
    return (price_8_decimals + unit // 2) // unit
