"""nocom-v1's feed: the MockPriceFeed contract on Aztec, written through the PXE (docs/money-math.md, nocom-v1).

Prices are keyed by the token's Aztec address (ASSET_TOKENS), have 4 decimals, and go in `set_prices`
transactions from the feed admin's account, at most 4 assets each (so 10 due assets are 3
transactions). The feed keeps no time: this service records when it set each price (the
`feed_updates` table) and that record is the price's `updatedAt` for the heartbeat, the read-back
at start and the engine's staleness guard (through GET /prices and the notifications). A feed price
that differs from the record (set by someone else, or a lost record) has no known time: it is due.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.price_service.feeds import (
    FeedMisconfigured,
    FeedPrice,
    FeedUnavailable,
    LatestPrices,
    Pushed,
    PushOutcome,
    round_to_decimals,
)
from shared.feeds.aztec import AztecFeedReader
from shared.feeds.onchain_price import OnChainPrice, PricesUnavailable
from shared.logging import get_logger
from shared.pxe.client import Call, PxeClient
from shared.pxe.errors import PxeError, PxeReverted
from shared.pxe.fields import field_to_symbol, from_field, to_field

log = get_logger()

# (symbol, price, updated_at, tx_hash): what the service last wrote to the feed.
Record = tuple[str, int, int, str | None]


@dataclass(frozen=True)
class AztecFeedConfig:
    address: str
    admin_secret_key: str
    tokens: dict[str, str]  # symbol -> token address
    decimals: int
    max_assets_per_call: int
    receipt_timeout: float = 600.0


class AztecPriceFeed:

    def __init__(self, pxe: PxeClient, config: AztecFeedConfig, records: Callable[[], Awaitable[list[Record]]],
                 record: Callable[[list[Record]], Awaitable[None]]) -> None:
        self.pxe = pxe
        self.config = config
        self.reader = AztecFeedReader(pxe, config.address)
        self.decimals = config.decimals
        self._load_records, self._save_records = records, record
        self._records: dict[str, Record] = {}
        self.admin: str | None = None

    @property
    def address(self) -> str:
        return self.config.address

    def to_feed_units(self, price_8_decimals: int) -> int:
        return round_to_decimals(price_8_decimals, self.decimals)

    async def prepare(self) -> None:
        """Register the admin account, and check every ASSET_TOKENS entry names its symbol's token."""
        try:
            self.admin = await self.pxe.register_account(self.config.admin_secret_key)
            self._records = {r[0]: r for r in await self._load_records()}
            await self._check_tokens()
        except PxeError as exc:
            raise FeedUnavailable(f"PXE unavailable: {exc}") from None
        log.info("Price feed admin registered", address=self.admin, feed=self.address)

    async def _check_tokens(self) -> None:
        symbols = list(self.config.tokens)
        answers = await self.pxe.call_many([("pxe_simulateView", ["symbol", [], self.config.tokens[s]]) for s in symbols])
        for symbol, answer in zip(symbols, answers, strict=True):
            if isinstance(answer, PxeError):
                raise FeedMisconfigured(f"ASSET_TOKENS: {symbol}'s token answered symbol() with: {answer}")
            onchain = field_to_symbol(_first(answer))
            if onchain.upper() != symbol:
                raise FeedMisconfigured(f"ASSET_TOKENS: the token given for {symbol} is {onchain}'s")

    async def read(self, symbols: list[str]) -> dict[str, OnChainPrice]:
        tokens = {s: self.config.tokens[s] for s in symbols if s in self.config.tokens}
        try:
            prices = await self.reader.prices(tokens)
        except PricesUnavailable as exc:
            raise FeedUnavailable(str(exc)) from None
        out: dict[str, OnChainPrice] = {}
        for symbol, price in prices.items():
            record = self._records.get(symbol)
            known = record is not None and record[1] == price
            out[symbol] = OnChainPrice(price, record[2] if known and record else 0, record[3] if known and record else None)
        return out

    async def push(self, prices: dict[str, FeedPrice], latest: LatestPrices) -> PushOutcome:
        """One set_prices transaction per MAX_FEED_ASSETS_PER_CALL assets, sent together, then their receipts."""
        outcome = PushOutcome()
        missing = [s for s in prices if s not in self.config.tokens]
        outcome.failed.update({s: "no token address in ASSET_TOKENS" for s in missing})
        ready = sorted(s for s in prices if s not in missing)
        size = self.config.max_assets_per_call
        chunks = [ready[i:i + size] for i in range(0, len(ready), size)]
        results = await asyncio.gather(*(self._push_chunk(c, prices) for c in chunks))
        for chunk, result in zip(chunks, results, strict=True):
            if isinstance(result, Pushed):
                outcome.pushed.append(result)
            else:
                outcome.failed.update({s: result for s in chunk})
        return outcome

    async def _push_chunk(self, symbols: list[str], prices: dict[str, FeedPrice]) -> Pushed | str:
        if self.admin is None:
            return "the feed admin account is not registered yet"
        call = Call("set_prices", self.address, set_prices_args([self.config.tokens[s] for s in symbols],
                                                                [prices[s].price for s in symbols],
                                                                self.config.max_assets_per_call))
        try:
            tx_hash = await self.pxe.send_tx([call], [], self.admin)
            receipt = await self.pxe.wait_for_receipt(tx_hash, timeout=self.config.receipt_timeout)
        except PxeReverted as exc:
            return exc.reason
        except (PxeError, TimeoutError) as exc:
            return f"outcome unknown: {exc}"
        if receipt.status != "success":
            return receipt.error or f"transaction {receipt.status}"
        records: list[Record] = [(s, prices[s].price, prices[s].observed_at, tx_hash) for s in symbols]
        await self._save_records(records)
        self._records.update({r[0]: r for r in records})
        return Pushed(tx_hash, receipt.block_number, None, {s: prices[s] for s in symbols})

    async def reachable(self) -> bool:
        return await self.pxe.status()

    async def close(self) -> None:
        await self.pxe.close()


def set_prices_args(tokens: list[str], prices: list[int], capacity: int) -> list[str]:
    """docs/money-math.md, the nocom-v1 feed: `[a0, a1, a2, a3, len, p0, p1, p2, p3, len]`, each BoundedVec padded with zeros."""
    if len(tokens) != len(prices) or len(tokens) > capacity:
        raise ValueError(f"set_prices takes 1 to {capacity} assets with a price each")
    padding = capacity - len(tokens)
    return ([to_field(t) for t in tokens] + [to_field(0)] * padding + [to_field(len(tokens))]
            + [to_field(p) for p in prices] + [to_field(0)] * padding + [to_field(len(prices))])


def _first(answer: object) -> int:
    values = answer.get("result") if isinstance(answer, dict) else answer
    if not isinstance(values, list) or not values:
        raise FeedUnavailable("the PXE answered a view without a value")
    return from_field(values[0])
