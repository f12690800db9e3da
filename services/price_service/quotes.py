"""One cycle's prices: every configured source asked at once, combined into one price per asset.

A source that is rate limited rests until its window resets (the others go on); a source whose key
or plan is refused is a configuration error; a source slower than SOURCE_TIMEOUT fails the cycle alone.
The combined price is consensus.combine's: the median of the fresh quotes that agree, or a machine-readable
reason why there is none. A quote stamped beyond the clock allowance ahead of this service's clock is
refused there; here it is counted (`price_service_future_quotes_total`) and logged (`Quote from the future`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from services.price_service.consensus import CLOCK_ALLOWANCE, Agreed, NoPrice, combine
from services.price_service.metrics import PriceMetrics
from services.price_service.sources import PriceFetchError, PriceSource, Quote
from services.price_service.sources.gather import fetch_all
from shared.logging import get_logger

log = get_logger()


@dataclass(frozen=True)
class ConsensusRule:
    min_sources: int
    max_spread_pct: Decimal
    max_age: float


@dataclass
class SourceStatus:
    last_ok_at: int | None = None
    error: str | None = None
    config_error: str | None = None
    resting_until: float = 0.0


@dataclass
class Cycle:
    """What one fetch produced: agreed quotes, assets without a price and why, and whether any source answered."""

    agreed: dict[str, Quote] = field(default_factory=dict)
    no_price: dict[str, NoPrice] = field(default_factory=dict)
    answered: bool = False


class QuoteBook:
    def __init__(self, sources: Sequence[PriceSource], rule: ConsensusRule, metrics: PriceMetrics,
                 clock: Callable[[], float] = time.time, timeout: float | None = None) -> None:
        self.sources = list(sources)
        self.timeout = timeout  # SOURCE_TIMEOUT: one source's whole fetch
        self.rule = rule
        self.metrics = metrics
        self._clock = clock
        self.status = {s.name: SourceStatus() for s in self.sources}
        self.agreed: dict[str, Agreed] = {}
        self.no_price: dict[str, NoPrice] = {}

    @property
    def config_error(self) -> str | None:
        return next((s.config_error for s in self.status.values() if s.config_error), None)

    async def fetch(self, symbols: list[str]) -> Cycle:
        now = self._clock()
        active = [s for s in self.sources if now >= self.status[s.name].resting_until]
        if not active:
            return Cycle()
        gathered = await fetch_all(active, symbols, self.timeout)
        self._count_future(gathered.quotes, now)
        for source in active:
            error = gathered.errors.get(source.name)
            if error is None:
                self._answered(source.name, gathered.rejected.get(source.name, {}), now)
            else:
                self._failed(error, now)
        outcomes = combine(gathered.quotes, symbols=symbols, now=now, min_sources=self.rule.min_sources,
                           max_spread_pct=self.rule.max_spread_pct, max_age=self.rule.max_age)
        return self._cycle(outcomes, answered=len(gathered.errors) < len(active))

    def _cycle(self, outcomes: dict[str, Agreed | NoPrice], answered: bool) -> Cycle:
        cycle = Cycle(answered=answered)
        for symbol, outcome in outcomes.items():
            if isinstance(outcome, Agreed):
                self.agreed[symbol] = outcome
                self.no_price.pop(symbol, None)
                cycle.agreed[symbol] = outcome.quote()
            else:
                self.no_price[symbol] = outcome
                cycle.no_price[symbol] = outcome
                self.metrics.no_price.labels(symbol, outcome.reason.value).inc()
                if answered:
                    log.warning("No agreed price", asset=symbol, reason=outcome.reason.value, **outcome.detail)
        return cycle

    def _count_future(self, quotes: dict[str, dict[str, Quote]], now: float) -> None:
        """Each source's quotes stamped beyond the allowance ahead of our clock: counted and logged, once a cycle."""
        for name, by_symbol in quotes.items():
            ahead = {s: q.timestamp for s, q in by_symbol.items() if q.timestamp > now + CLOCK_ALLOWANCE}
            if not ahead:
                continue
            self.metrics.future_quotes.labels(name).inc(len(ahead))
            log.warning("Quote from the future", source=name, assets=sorted(ahead), observedAt=max(ahead.values()),
                        aheadSeconds=max(ahead.values()) - int(now), allowanceSeconds=CLOCK_ALLOWANCE)

    def _answered(self, name: str, rejected: dict[str, str], now: float) -> None:
        status = self.status[name]
        status.last_ok_at, status.error, status.config_error = int(now), None, None
        self.metrics.fetches.labels(name, "success").inc()
        if rejected:
            log.warning("Price fetch failed", source=name, status=None, errorCode=None,
                        error="no usable price for " + ", ".join(sorted(rejected)), assets=sorted(rejected))

    def _failed(self, exc: PriceFetchError, now: float) -> None:
        status = self.status[exc.source] if exc.source in self.status else SourceStatus()
        status.error = str(exc)
        outcome = "config_error" if exc.config_error else "rate_limited" if exc.retry_after else "error"
        self.metrics.fetches.labels(exc.source, outcome).inc()
        if exc.config_error:
            status.config_error = str(exc)
        if exc.retry_after:
            status.resting_until = now + exc.retry_after  # only this source rests
        log.error("Price fetch failed", source=exc.source, status=exc.status, errorCode=exc.error_code,
                  error=exc.message, configError=exc.config_error or None)

    def forget(self, symbol: str) -> None:
        self.agreed.pop(symbol, None)
        self.no_price.pop(symbol, None)

    async def close(self) -> None:
        for source in self.sources:
            await source.close()
