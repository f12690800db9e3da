"""The price loop: fetch, decide per asset, push all due prices in one transaction, notify.

Knows nothing of HTTP. One cycle at a time (the Periodic job guarantees it); the HTTP API
only reads the in-memory state kept here, so a slow chain never blocks it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from services.price_service.assets import AssetRegistry
from services.price_service.metrics import PriceMetrics
from services.price_service.notifier import EngineNotifier
from services.price_service.oracle_gateway import ChainUnavailable, OracleGateway
from services.price_service.settings import PriceServiceSettings
from services.price_service.sources import PriceFetchError, PriceSource, Quote
from services.price_service.update_rule import Decision, decide, is_jump, jump_confirmed
from shared.evm.chain import TxFailed, TxReverted
from shared.evm.oracle import OnChainPrice
from shared.logging import get_logger
from shared.units import format_price

log = get_logger()


def pct(value: Fraction | None) -> str | None:
    return None if value is None else f"{Decimal(value.numerator) / Decimal(value.denominator):.4f}"


@dataclass
class KeeperStatus:
    started_at: int
    last_fetch_at: int | None = None
    last_fetch_ok: bool | None = None
    last_fetch_success_at: int | None = None
    fetch_error: str | None = None
    config_error: str | None = None
    rate_limited_until: float = 0.0
    last_update_at: int | None = None
    last_update_ok: bool | None = None
    chain_error: str | None = None
    pending_jumps: dict[str, Quote] = field(default_factory=dict)


class PriceKeeper:
    def __init__(self, settings: PriceServiceSettings, registry: AssetRegistry, source: PriceSource,
                 oracle: OracleGateway, notifier: EngineNotifier | None, metrics: PriceMetrics,
                 clock: Callable[[], float] = time.time) -> None:
        self._s = settings
        self._registry = registry
        self._source = source
        self._oracle = oracle
        self._notifier = notifier
        self._metrics = metrics
        self._clock = clock
        self.quotes: dict[str, Quote] = {}
        self.onchain: dict[str, OnChainPrice] = {}
        self.status = KeeperStatus(started_at=int(clock()))

    def now(self) -> int:
        return int(self._clock())

    async def load_onchain(self) -> None:
        """Read the truth back from the oracle (at start), with the tx hashes of the current prices."""
        symbols = self._registry.symbols()
        if not symbols:
            return
        await self._refresh_onchain(symbols)
        try:
            hashes = await self._oracle.tx_hashes(symbols)
        except Exception as exc:  # the hashes are for display only
            log.warning("On-chain tx hashes unavailable", error=str(exc))
            return
        for symbol, tx_hash in hashes.items():
            known = self.onchain.get(symbol)
            if known and known.price > 0:
                self.onchain[symbol] = OnChainPrice(known.price, known.updated_at, tx_hash)

    async def _refresh_onchain(self, symbols: list[str]) -> None:
        fresh = await self._oracle.read(symbols)
        for symbol, price in fresh.items():
            known = self.onchain.get(symbol)
            same = known is not None and known.price == price.price and known.updated_at == price.updated_at
            self.onchain[symbol] = OnChainPrice(price.price, price.updated_at, known.tx_hash if same and known else None)
        self.status.chain_error = None

    async def cycle(self) -> None:
        symbols = self._registry.symbols()
        self._metrics.tracked.set(len(symbols))
        if not symbols:
            return
        quotes = await self._fetch(symbols)
        if not quotes:
            return
        try:
            await self._refresh_onchain(list(quotes))
        except ChainUnavailable as exc:
            # Without the on-chain truth every asset would look "initial": push nothing.
            self.status.chain_error = str(exc)
            log.error("Price update failed", assets=sorted(quotes), error=str(exc))
            return
        due = self._due(quotes)
        if due:
            await self._push(due, quotes)

    async def _fetch(self, symbols: list[str]) -> dict[str, Quote]:
        now = self._clock()
        if now < self.status.rate_limited_until:
            return {}
        self.status.last_fetch_at = int(now)
        try:
            quotes = await self._source.fetch(symbols)
        except PriceFetchError as exc:
            self._fetch_failed(exc, now)
            return {}
        self.status.last_fetch_ok = True
        self.status.last_fetch_success_at = int(now)
        self.status.fetch_error = None
        self.status.config_error = None
        self._metrics.fetches.labels(self._source.name, "success").inc()
        missing = sorted(set(symbols) - set(quotes))
        if missing:
            log.warning("Price fetch failed", source=self._source.name, status=None, errorCode=None,
                        error=f"no usable price for {', '.join(missing)}", assets=missing)
        self.quotes.update(quotes)
        return quotes

    def _fetch_failed(self, exc: PriceFetchError, now: float) -> None:
        self.status.last_fetch_ok = False
        self.status.fetch_error = str(exc)
        outcome = "config_error" if exc.config_error else "rate_limited" if exc.retry_after else "error"
        self._metrics.fetches.labels(self._source.name, outcome).inc()
        if exc.config_error:
            self.status.config_error = str(exc)
        if exc.retry_after:
            self.status.rate_limited_until = now + exc.retry_after
        log.error("Price fetch failed", source=exc.source, status=exc.status, errorCode=exc.error_code,
                  error=exc.message, configError=exc.config_error or None)

    def _due(self, quotes: dict[str, Quote]) -> dict[str, tuple[Quote, Decision]]:
        due: dict[str, tuple[Quote, Decision]] = {}
        now = self.now()
        for symbol, quote in quotes.items():
            onchain = self.onchain.get(symbol, OnChainPrice(0, 0))
            if onchain.updated_at and quote.timestamp <= onchain.updated_at:
                continue  # not observed after the on-chain price: the oracle would skip it (SPEC 5, observedAt)
            decision = decide(quote.price, onchain.price, onchain.updated_at, now,
                              self._s.price_change_threshold, self._s.price_heartbeat)
            if decision.change_pct is not None:
                self._metrics.deviation.labels(symbol).set(float(decision.change_pct))
            if not decision.due:
                self.status.pending_jumps.pop(symbol, None)
                log.info("Price change not significant", asset=symbol, changePct=pct(decision.change_pct),
                         secondsSinceUpdate=decision.seconds_since_update)
                continue
            if decision.reason == "deviation":
                log.info("Price change", asset=symbol, previousPrice=format_price(onchain.price),
                         newPrice=format_price(quote.price), changePct=pct(decision.change_pct))
            if self._passes_jump_guard(quote, onchain.price):
                due[symbol] = (quote, decision)
        return due

    def _passes_jump_guard(self, quote: Quote, onchain_price: int) -> bool:
        symbol, price, limit = quote.symbol, quote.price, self._s.max_price_jump
        if not is_jump(price, onchain_price, limit):
            self.status.pending_jumps.pop(symbol, None)
            return True
        suspect = self.status.pending_jumps.get(symbol)
        # Only a newer quote confirms: fetching the same quote twice proves nothing.
        if suspect is not None and quote.timestamp > suspect.timestamp and \
                jump_confirmed(price, suspect.price, onchain_price, limit):
            self.status.pending_jumps.pop(symbol, None)
            log.warning("Price jump confirmed", asset=symbol, previousPrice=format_price(onchain_price),
                        newPrice=format_price(price))
            return True
        if suspect is None or quote.timestamp > suspect.timestamp:
            self.status.pending_jumps[symbol] = quote
            log.warning("Price jump held for confirmation", asset=symbol, previousPrice=format_price(onchain_price),
                        newPrice=format_price(price), maxJumpPct=str(limit))
        return False

    async def _push(self, due: dict[str, tuple[Quote, Decision]], quotes: dict[str, Quote]) -> None:
        assets = sorted(due)
        previous = {s: self.onchain.get(s) for s in assets}
        self.status.last_update_at = self.now()
        try:
            result = await self._oracle.push({s: (due[s][0].price, due[s][0].timestamp) for s in assets})
        except (TxReverted, TxFailed, ChainUnavailable) as exc:
            # Nothing is marked as pushed, so every asset stays due for the next cycle.
            self.status.last_update_ok = False
            self._metrics.update_failures.inc()
            log.error("Price update failed", assets=assets, error=str(exc))
            return
        self.status.last_update_ok = True
        try:
            await self._refresh_onchain(assets)
        except ChainUnavailable:
            pass
        reasons = {s: due[s][1].reason for s in assets}
        for symbol in assets:
            current = self.onchain.get(symbol)
            updated_at = current.updated_at if current else self.now()
            self.onchain[symbol] = OnChainPrice(due[symbol][0].price, updated_at, result.tx_hash)
            self._metrics.updates.labels(reasons[symbol]).inc()
            self._metrics.last_update.labels(symbol).set(updated_at)
        log.info("Price updated on-chain", assets=assets, txHash=result.tx_hash, blockNumber=result.block_number,
                 gasUsed=result.gas_used, reasons=reasons)
        if self._notifier:
            self._notifier.notify([self._update_body(s, previous[s], result.tx_hash) for s in assets])

    def _update_body(self, symbol: str, previous: OnChainPrice | None, tx_hash: str) -> dict[str, Any]:
        current = self.onchain[symbol]
        return {
            "asset": symbol,
            "price": format_price(current.price),
            "previousPrice": format_price(previous.price) if previous and previous.price > 0 else None,
            "timestamp": current.updated_at,
            "txHash": tx_hash,
        }

    def forget(self, symbol: str) -> None:
        self.quotes.pop(symbol, None)
        self.onchain.pop(symbol, None)
        self.status.pending_jumps.pop(symbol, None)
