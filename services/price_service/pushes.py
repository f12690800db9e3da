"""The keeper's pushes: one in flight at a time, beside the polls, its outcome settled and the engine told.

A push runs in the background: the next polls go on fetching while it waits for its receipt (a stuck
transaction never freezes the prices), and what they find due is handed to the push in flight (its
replacement carries the newest prices) rather than sent beside it. A push never dies unseen: whatever
it raises is logged as `Price update failed` and counted, and the keeper goes on.
`price_service_push_pending_seconds` is computed when scraped, so it moves while a push waits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from services.price_service.assets import AssetRegistry
from services.price_service.feeds import FeedPrice, FeedUnavailable, PriceFeed, PushOutcome
from services.price_service.metrics import PriceMetrics
from services.price_service.notifier import EngineFanout, EngineNotifier
from services.price_service.update_rule import Decision
from shared.feeds.onchain_price import OnChainPrice
from shared.logging import get_logger
from shared.units import format_units

log = get_logger()

Due = dict[str, tuple[FeedPrice, Decision]]


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


class PushLane:
    """The push half of PriceKeeper (keeper.py), which sets these attributes."""

    feed: PriceFeed
    status: KeeperStatus
    onchain: dict[str, OnChainPrice]
    _registry: AssetRegistry
    _notifier: EngineNotifier | EngineFanout | None
    _metrics: PriceMetrics
    push: PushInFlight | None
    _newest: Due
    may_send: Callable[[], Awaitable[bool]] | None

    def now(self) -> int:
        raise NotImplementedError

    def _redecide(self, leftover: Due) -> Due:
        """Prices found due while a push was out, decided again against what it wrote (keeper.py)."""
        return leftover

    def _lane_init(self) -> None:
        self.push = None
        # Due while a push is in flight: its replacement carries them, or the push that follows it.
        self._newest = {}
        # Asked before each push (the leader's lease renewed): False, and nothing is sent.
        self.may_send = None
        self._metrics.push_pending.set_function(self.pending_for)

    def _stamp(self, symbol: str, updated_at: int) -> None:
        """The gauge of the asset's on-chain time, read back or pushed, for a tracked asset only: the
        heartbeat alert must see it after a restart, and must not see an asset removed meanwhile."""
        if symbol in self._registry.symbols():
            self._metrics.last_update.labels(symbol).set(updated_at)

    def _chain_failed(self, error: str, assets: list[str]) -> None:
        self.status.chain_error = error
        self.status.last_update_ok, self.status.update_error = False, error
        self._metrics.update_failures.inc()
        log.error("Price update failed", assets=assets, error=error)

    def _hand_over(self, due: Due) -> None:
        if self.push is not None and not self.push.task.done():
            self._newest.update(due)
            return
        self.push = PushInFlight(asyncio.create_task(self._push(due), name="price-push"), time.monotonic(), sorted(due))

    async def _latest(self) -> dict[str, FeedPrice]:
        return {s: price for s, (price, _) in self._newest.items()}

    async def _push(self, due: Due) -> None:
        try:
            leftover = await self._push_once(due)
        except Exception as exc:  # noqa: BLE001 - a push must never die unseen: the keeper goes on
            self._newest = {}
            self._chain_failed(f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())[:200]}", sorted(due))
            return
        leftover = self._redecide(leftover)
        if leftover:  # found due while this push was out, not carried by it, still due against what it wrote
            self.push = PushInFlight(asyncio.create_task(self._push(leftover), name="price-push"), time.monotonic(),
                                     sorted(leftover))

    async def _push_once(self, due: Due) -> Due:
        if self.may_send is not None and not await self.may_send():
            self._newest = {}
            log.warning("Price push skipped: not the leader", assets=sorted(due))
            return {}
        previous = {s: self.onchain.get(s) for s in due}
        self.status.last_update_at = self.now()
        outcome: PushOutcome | None = None
        try:
            outcome = await self.feed.push({s: price for s, (price, _) in due.items()}, self._latest)
        except FeedUnavailable as exc:
            self._chain_failed(str(exc), sorted(due))
        finally:
            written = {s: price for p in outcome.pushed for s, price in p.prices.items()} if outcome else {}
            leftover = {s: d for s, d in self._newest.items() if written.get(s) != d[0]}
            self._newest = {}
        if outcome is not None:
            self._metrics.cancellations.inc(outcome.cancelled)
            self._settle(outcome, due, previous)
        return leftover

    def _settle(self, outcome: PushOutcome, due: Due, previous: dict[str, OnChainPrice | None]) -> None:
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
        return time.monotonic() - self.push.started_at

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
