"""The price loop: fetch and combine, decide per asset, push what is due, notify the engine.

Knows nothing of HTTP. Pushes run beside the polls (pushes.py). A price goes on the feed with the time
its sources observed it, never later than this service's own clock: a source whose clock runs ahead
cannot stamp the feed with a time to come (the consensus already refused quotes beyond the allowance).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

from services.price_service.assets import AssetRegistry
from services.price_service.feeds import FeedPrice, FeedUnavailable, PriceFeed
from services.price_service.jump_guard import JumpGuard
from services.price_service.metrics import PriceMetrics
from services.price_service.notifier import EngineFanout, EngineNotifier
from services.price_service.pushes import Due, KeeperStatus, PushInFlight, PushLane
from services.price_service.quotes import QuoteBook
from services.price_service.settings import PriceServiceSettings
from services.price_service.sources import Quote
from services.price_service.update_rule import Decision, decide
from shared.feeds.onchain_price import OnChainPrice
from shared.logging import get_logger

__all__ = ["KeeperStatus", "PriceKeeper", "PushInFlight", "format_percent"]

log = get_logger()


def format_percent(value: Fraction | None) -> str | None:
    return None if value is None else f"{Decimal(value.numerator) / Decimal(value.denominator):.4f}"


class PriceKeeper(PushLane):
    def __init__(self, settings: PriceServiceSettings, registry: AssetRegistry, book: QuoteBook, feed: PriceFeed,
                 notifier: EngineNotifier | EngineFanout | None, metrics: PriceMetrics, clock: Callable[[], float] = time.time) -> None:
        self._s = settings
        self._registry = registry
        self.book = book
        self.feed = feed
        self._notifier = notifier
        self._metrics = metrics
        self._clock = clock
        self.quotes: dict[str, Quote] = {}  # agreed quotes, 8 decimals
        self.onchain: dict[str, OnChainPrice] = {}  # in the feed's decimals
        self.guard = JumpGuard(settings.max_price_jump, feed.decimals)
        self.status = KeeperStatus(started_at=int(clock()))
        self._lane_init()

    def now(self) -> int:
        return int(self._clock())

    async def load_onchain(self) -> None:
        """Read the truth back from the feed (at start), with the tx hashes of the current prices."""
        symbols = self._registry.symbols()
        if symbols:
            await self._refresh_onchain(symbols)
            await self._load_tx_hashes(symbols)

    async def _load_tx_hashes(self, symbols: list[str]) -> None:
        hashes_of = getattr(self.feed, "tx_hashes", None)
        if hashes_of is None:
            return  # the feed's read already carries them
        try:
            hashes = await hashes_of(symbols)
        except Exception as exc:  # noqa: BLE001 - the hashes are for display only
            log.warning("On-chain tx hashes unavailable", error=str(exc))
            return
        for symbol, tx_hash in hashes.items():
            known = self.onchain.get(symbol)
            if known and known.price > 0:
                self.onchain[symbol] = OnChainPrice(known.price, known.updated_at, tx_hash)

    async def _refresh_onchain(self, symbols: list[str]) -> None:
        fresh = await self.feed.read(symbols)
        for symbol, price in fresh.items():
            known = self.onchain.get(symbol)
            same = known is not None and known.price == price.price and known.updated_at == price.updated_at
            tx_hash = price.tx_hash or (known.tx_hash if same and known else None)
            self.onchain[symbol] = OnChainPrice(price.price, price.updated_at, tx_hash)
            if price.updated_at:
                self._stamp(symbol, price.updated_at)
        self.status.chain_error = None

    async def cycle(self, push: bool = True) -> None:
        """Fetch and combine; with `push` (the leader), read the feed and push what is due."""
        symbols = self._registry.symbols()
        self._metrics.tracked.set(len(symbols))
        try:
            if symbols:
                await self._poll(symbols, push)
        finally:
            self.status.last_cycle_at = time.monotonic()
            self._metrics.last_cycle.set(self.now())

    async def _poll(self, symbols: list[str], push: bool) -> None:
        self.status.last_fetch_at = self.now()
        fetched = await self.book.fetch(symbols)
        self.status.last_fetch_ok = fetched.answered
        if fetched.answered:
            self.status.last_fetch_success_at = self.now()
            self._metrics.last_fetch_success.set(self.now())
        self.quotes.update(fetched.agreed)
        if not fetched.agreed or not push:
            return
        try:
            await self._refresh_onchain(list(fetched.agreed))
        except FeedUnavailable as exc:
            # Without the on-chain truth every asset would look "initial": push nothing.
            self._chain_failed(str(exc), sorted(fetched.agreed))
            return
        due = self._due(fetched.agreed)
        if due:
            self._hand_over(due)


    def _due(self, quotes: dict[str, Quote]) -> Due:
        due: Due = {}
        now = self.now()
        for symbol, quote in quotes.items():
            price = self.feed.to_feed_units(quote.price)
            if price <= 0:
                self.status.unpushable[symbol] = "below the feed's resolution"
                continue
            was_unpushable = self.status.unpushable.pop(symbol, None)
            observed = min(quote.timestamp, now)  # never a time to come on the feed
            onchain = self.onchain.get(symbol, OnChainPrice(0, 0))
            if onchain.updated_at and observed <= onchain.updated_at:
                # Not observed after the on-chain price: the feed would not take it (docs/money-math.md, the
                # reference feed: observedAt). An on-chain time ahead of our clock is shown, not skipped silently.
                self._onchain_ahead(symbol, onchain.updated_at, now, was_unpushable)
                continue
            decision = decide(price, onchain.price, onchain.updated_at, now,
                              self._s.price_change_threshold, self._s.price_heartbeat)
            self._log_decision(symbol, decision, price, onchain.price)
            if decision.due and self.guard.passes(Quote(symbol, price, observed, quote.source), onchain.price):
                due[symbol] = (FeedPrice(price, observed), decision)
        return due

    def _redecide(self, leftover: Due) -> Due:
        """Found due while a push was out (an asset added then is "initial" against a feed that had no price
        yet): once that push wrote, each is pushed only if still due against the feed as it now is."""
        now, still = self.now(), {}
        for symbol, (price, _) in leftover.items():
            onchain = self.onchain.get(symbol, OnChainPrice(0, 0))
            decision = decide(price.price, onchain.price, onchain.updated_at, now, self._s.price_change_threshold,
                              self._s.price_heartbeat)
            if decision.due and price.observed_at > onchain.updated_at:
                still[symbol] = (price, decision)
        return still

    def _onchain_ahead(self, symbol: str, updated_at: int, now: int, was: str | None) -> None:
        if updated_at <= now:
            return
        why = (f"the feed's observation of it is {updated_at - now} s ahead of this service's clock: no newer "
               "quote can be pushed before then")
        if was is None:
            log.warning("Price not pushable", asset=symbol, reason=why, onChainObservedAt=updated_at)
        self.status.unpushable[symbol] = why

    def _log_decision(self, symbol: str, decision: Decision, price: int, onchain: int) -> None:
        if decision.change_pct is not None:
            self._metrics.deviation.labels(symbol).set(float(decision.change_pct))
        if not decision.due:
            self.guard.forget(symbol)
            log.info("Price change not significant", asset=symbol, changePct=format_percent(decision.change_pct),
                     secondsSinceUpdate=decision.seconds_since_update)
        elif decision.reason == "deviation":
            log.info("Price change", asset=symbol, previousPrice=self._show(onchain), newPrice=self._show(price),
                     changePct=format_percent(decision.change_pct))

    def forget(self, symbol: str) -> None:
        self.quotes.pop(symbol, None)
        self.onchain.pop(symbol, None)
        self.guard.forget(symbol)
        self.book.forget(symbol)
        for gauge in (self._metrics.last_update, self._metrics.deviation):
            try:
                gauge.remove(symbol)  # an untracked asset's series would hold its last value for ever
            except KeyError:
                pass
