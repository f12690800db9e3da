"""Small fakes for the price service's unit tests: sources that say what they are told, a feed in memory."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from services.price_service.feeds import FeedPrice, FeedUnavailable, LatestPrices, Pushed, PushOutcome
from services.price_service.sources import PriceFetchError, Quote
from shared.feeds.onchain_price import OnChainPrice


class FakeSource:
    def __init__(self, name: str) -> None:
        self.name = name
        self.prices: dict[str, tuple[int, int]] = {}  # symbol -> (8-decimal price, observed at)
        self.error: PriceFetchError | None = None
        self.requests = 0
        self.last_rejected: dict[str, str] = {}

    async def fetch(self, symbols: list[str]) -> dict[str, Quote]:
        self.requests += 1
        if self.error is not None:
            raise self.error
        return {s: Quote(s, p, t, self.name) for s, (p, t) in self.prices.items() if s in symbols}

    async def close(self) -> None:
        return None


@dataclass
class FakeFeed:
    kind: str = "evm-oracle"
    decimals: int = 8
    prices: dict[str, OnChainPrice] = field(default_factory=dict)
    pushes: list[dict[str, FeedPrice]] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)  # set: a push is mined at once
    down: bool = False
    latest_seen: list[dict[str, FeedPrice]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.gate.set()

    @property
    def address(self) -> str:
        return "0x" + "11" * 20

    def to_feed_units(self, price_8_decimals: int) -> int:
        return price_8_decimals

    async def prepare(self) -> None:
        return None

    async def read(self, symbols: list[str]) -> dict[str, OnChainPrice]:
        if self.down:
            raise FeedUnavailable("chain unreachable at http://127.0.0.1:9: ConnectError")
        return {s: self.prices.get(s, OnChainPrice(0, 0)) for s in symbols}

    async def push(self, prices: dict[str, FeedPrice], latest: LatestPrices) -> PushOutcome:
        self.pushes.append(dict(prices))
        await self.gate.wait()
        newest = await latest()
        self.latest_seen.append(newest)
        written = {**prices, **newest}  # a replacement carries the newest prices
        tx = f"0x{len(self.pushes):064x}"
        for symbol, price in written.items():
            self.prices[symbol] = OnChainPrice(price.price, price.observed_at, tx)
        return PushOutcome(pushed=[Pushed(tx, len(self.pushes), 21_000, written)])

    async def reachable(self) -> bool:
        return not self.down

    async def close(self) -> None:
        return None


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[list[dict[str, Any]]] = []

    def notify(self, updates: list[dict[str, Any]]) -> None:
        self.sent.append(updates)
