"""The price loop: fetch and combine, decide per asset, push what is due, notify the engine.

Knows nothing of HTTP. A push runs in the background: the next polls go on fetching while it waits
for its receipt (a stuck transaction never freezes the prices), and what they find due is handed to
the push in flight (its replacement carries the newest prices) rather than sent beside it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from services.price_service.assets import AssetRegistry
from services.price_service.feeds import FeedPrice, FeedUnavailable, PriceFeed, PushOutcome
from services.price_service.jump_guard import JumpGuard
from services.price_service.metrics import PriceMetrics
from services.price_service.notifier import EngineFanout, EngineNotifier
from services.price_service.quotes import QuoteBook
from services.price_service.settings import PriceServiceSettings
from services.price_service.sources import Quote
from services.price_service.update_rule import Decision, decide
from shared.feeds.onchain_price import OnChainPrice
from shared.logging import get_logger
from shared.units import format_units

log = get_logger()


def format_percent(value: Fraction | None) -> str | None:
    return None if value is None else f"{Decimal(value.numerator) / Decimal(value.denominator):.4f}"


@dataclass
class KeeperStatus:
    started_at: int
    last_fetch_at: int | None = None
    last_fetch_ok: bool | None = None
    last_fetch_success_at: int | None = None
    last_update_at: int | None = None
    last_update_ok: bool | None = None
    update_error: str | None = None
    chain_error: str | None = None
    last_cycle_at: float | None = None  # monotonic: the watchdog's
    unpushable: dict[str, str] = field(default_factory=dict)  # asset -> why its agreed price cannot go on the feed


@dataclass
class PushInFlight:
    task: asyncio.Task[None]
    started_at: float  # monotonic
    assets: list[str]


class PriceKeeper:
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
        self.push: PushInFlight | None = None
        # Due while a push is in flight: its replacement carries them, or the push that follows it.
        self._newest: dict[str, tuple[FeedPrice, Decision]] = {}
        # Asked before each push (the leader's lease renewed): False, and nothing is sent.
        self.may_send: Callable[[], Awaitable[bool]] | None = None

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

    def _stamp(self, symbol: str, updated_at: int) -> None:
        """The gauge of the asset's on-chain time, read back or pushed, for a tracked asset only: the
        heartbeat alert must see it after a restart, and must not see an asset removed meanwhile."""
        if symbol in self._registry.symbols():
            self._metrics.last_update.labels(symbol).set(updated_at)

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

    def _chain_failed(self, error: str, assets: list[str]) -> None:
        self.status.chain_error = error
        self.status.last_update_ok, self.status.update_error = False, error
        self._metrics.update_failures.inc()
        log.error("Price update failed", assets=assets, error=error)

    def _due(self, quotes: dict[str, Quote]) -> dict[str, tuple[FeedPrice, Decision]]:
        due: dict[str, tuple[FeedPrice, Decision]] = {}
        now = self.now()
        for symbol, quote in quotes.items():
            price = self.feed.to_feed_units(quote.price)
            if price <= 0:
                self.status.unpushable[symbol] = "below the feed's resolution"
                continue
            self.status.unpushable.pop(symbol, None)
            onchain = self.onchain.get(symbol, OnChainPrice(0, 0))
            if onchain.updated_at and quote.timestamp <= onchain.updated_at:
                continue  # not observed after the on-chain price: the feed would not take it (docs/money-math.md, the reference feed: observedAt)
            decision = decide(price, onchain.price, onchain.updated_at, now,
                              self._s.price_change_threshold, self._s.price_heartbeat)
            self._log_decision(symbol, decision, price, onchain.price)
            if decision.due and self.guard.passes(Quote(symbol, price, quote.timestamp, quote.source), onchain.price):
                due[symbol] = (FeedPrice(price, quote.timestamp), decision)
        return due

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

    def _hand_over(self, due: dict[str, tuple[FeedPrice, Decision]]) -> None:
        if self.push is not None and not self.push.task.done():
            self._newest.update(due)
            return
        assets = sorted(due)
        task = asyncio.create_task(self._push(due), name="price-push")
        self.push = PushInFlight(task, time.monotonic(), assets)

    async def _latest(self) -> dict[str, FeedPrice]:
        return {s: price for s, (price, _) in self._newest.items()}

    async def _push(self, due: dict[str, tuple[FeedPrice, Decision]]) -> None:
        if self.may_send is not None and not await self.may_send():
            self._newest = {}
            log.warning("Price push skipped: not the leader", assets=sorted(due))
            return
        previous = {s: self.onchain.get(s) for s in due}
        self.status.last_update_at = self.now()
        outcome: PushOutcome | None = None
        try:
            outcome = await self.feed.push({s: price for s, (price, _) in due.items()}, self._latest)
        except FeedUnavailable as exc:
            self._chain_failed(str(exc), sorted(due))
        finally:
            self._metrics.push_pending.set(0)
            written = {s: price for p in outcome.pushed for s, price in p.prices.items()} if outcome else {}
            leftover = {s: d for s, d in self._newest.items() if written.get(s) != d[0]}
            self._newest = {}
        if outcome is not None:
            self._metrics.replacements.inc(outcome.replaced)
            self._metrics.cancellations.inc(outcome.cancelled)
            self._settle(outcome, due, previous)
        if leftover:  # found due while this push was out and not carried by it: their own push now
            self.push = PushInFlight(asyncio.create_task(self._push(leftover), name="price-push"), time.monotonic(), sorted(leftover))

    def _settle(self, outcome: PushOutcome, due: dict[str, tuple[FeedPrice, Decision]],
                previous: dict[str, OnChainPrice | None]) -> None:
        updates: list[dict[str, Any]] = []
        for pushed in outcome.pushed:
            reasons: dict[str, str | None] = {}
            for symbol, price in pushed.prices.items():
                reasons[symbol] = due[symbol][1].reason if symbol in due else "replacement"
                self.onchain[symbol] = OnChainPrice(price.price, price.observed_at, pushed.tx_hash)
                self._metrics.updates.labels(reasons[symbol] or "initial").inc()
                self._stamp(symbol, price.observed_at)
                updates.append(self._update_body(symbol, previous.get(symbol), pushed.tx_hash))
            log.info("Price updated on-chain", assets=sorted(reasons), txHash=pushed.tx_hash, blockNumber=pushed.block_number,
                     gasUsed=pushed.gas_used, reasons=reasons)
        real = {s: why for s, why in outcome.failed.items() if not why.startswith("not newer")}
        self.status.last_update_ok = not real
        self.status.update_error = next(iter(real.values()), None)
        if real:
            self._metrics.update_failures.inc()
            log.error("Price update failed", assets=sorted(real), error=self.status.update_error)
        if updates and self._notifier:
            self._notifier.notify(updates)

    def _update_body(self, symbol: str, previous: OnChainPrice | None, tx_hash: str) -> dict[str, Any]:
        current = self.onchain[symbol]
        return {
            "asset": symbol,
            "price": self._show(current.price),
            "previousPrice": self._show(previous.price) if previous and previous.price > 0 else None,
            "timestamp": current.updated_at,
            "txHash": tx_hash,
        }

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until no push is in flight, the ones that follow it included (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self.push is not None and not self.push.task.done():
            await asyncio.wait_for(asyncio.shield(self.push.task), max(0.0, deadline - time.monotonic()))

    def pending_for(self) -> float:
        """Seconds the push in flight has been waiting (0 when none)."""
        if self.push is None or self.push.task.done():
            return 0.0
        waited = time.monotonic() - self.push.started_at
        self._metrics.push_pending.set(waited)
        return waited

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

    def abandon(self) -> None:
        """Stop sending at once (leadership lost): the push in flight is cancelled, its transaction left
        pending for the next leader to resolve at its nonce, as a restart does."""
        if self.push is not None and not self.push.task.done():
            self.push.task.cancel()
            log.warning("Price push abandoned: leadership lost", assets=self.push.assets)
        self._newest = {}

    async def stop(self, grace: float = 2.0) -> None:
        """Let a push in flight finish within `grace`; a cancelled one is resolved at the next start."""
        if self.push is not None and not self.push.task.done():
            try:
                await asyncio.wait_for(asyncio.shield(self.push.task), grace)
            except (TimeoutError, asyncio.CancelledError, Exception):
                self.push.task.cancel()

    def _show(self, price: int) -> str:
        return format_units(price, self.feed.decimals)
