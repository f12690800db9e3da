"""One price per asset from several sources' quotes, or a machine-readable reason why not.

Pure: no I/O, no clock of its own, no float. Prices are the oracle's 8-decimal integers.

The rules, per asset, for one cycle:

1. Freshness. A quote observed more than `max_age` seconds before `now`
   (`now - timestamp > max_age`) is dropped as stale. A quote observed more than `max_ahead`
   seconds after `now` (CLOCK_ALLOWANCE) is refused as from the future: one source's clock running
   ahead would otherwise stamp the feed with a time to come and veto every honest quote after it.
2. Agreement. A set of quotes agrees when `max / min - 1 <= max_spread_pct / 100`, decided
   exactly (`100 * max <= min * (100 + spread)` over integers and a Fraction).
3. The agreeing group. With the fresh quotes sorted by price, the largest agreeing set is
   always a run of neighbours, so the group is the longest agreeing run. When several runs
   are equally long:
   - if two of them share no quote, the sources are split into camps of equal weight and
     nothing is pushed (`sources_disagree`, `split: true`): picking a camp would be a guess;
   - otherwise the run whose median is closest to the median of all fresh quotes wins
     ("around the median"), then the tighter run, then the lower one, so the outcome is
     deterministic.
4. A price only when the group has at least `min_sources` quotes. Fresh quotes outside the
   group are reported as ignored outliers: two of three sources agreeing push, the third is
   ignored; a single source (or a single source's move) under `min_sources=2` is not pushed.
5. The price is the group's median: the middle quote for an odd count; for an even count the
   two middle quotes averaged with floor division in 8-decimal units, `(a + b) // 2`, so the
   result stays an exact integer and is at most 1e-8 USD below the true midpoint.
6. `observed_at` is the newest timestamp among the group's quotes.

Reasons when there is no price (`NoPrice.reason`): `no_quotes` (no source quoted the asset),
`stale` (every quote was too old), `future` (every usable quote was from the future), `too_few_sources` (fewer fresh quotes than `min_sources`),
`sources_disagree` (enough fresh quotes, but no agreeing group of `min_sources`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from services.price_service.sources.base import Quote
from shared.units import format_price

CONSENSUS_SOURCE = "consensus"
SPREAD_DECIMALS = 4
# Seconds a quote may be stamped ahead of this service's clock: sources stamp whole seconds and servers kept
# by NTP agree within milliseconds, so 10 s forgives a rounding and a sloppy clock, never a clock minutes
# ahead. A constant, not a setting: no operator choice makes a quote from the future safe to push.
CLOCK_ALLOWANCE = 10


class Reason(StrEnum):
    NO_QUOTES = "no_quotes"
    STALE = "stale"
    FUTURE = "future"
    TOO_FEW_SOURCES = "too_few_sources"
    SOURCES_DISAGREE = "sources_disagree"


class Ignored(StrEnum):
    OUTLIER = "outlier"
    STALE = "stale"
    FUTURE = "future"
    NO_QUOTE = "no_quote"


@dataclass(frozen=True)
class Agreed:
    """The price to push for one asset and how it was reached."""

    symbol: str
    price: int  # 8 decimals
    observed_at: int  # newest timestamp among the quotes used
    used: tuple[str, ...]  # sources whose quotes formed the group, cheapest first
    ignored: Mapping[str, Ignored] = field(default_factory=dict)  # source -> why its quote was left out
    spread_pct: str = "0"  # max/min - 1 of the group, percent, rounded up

    def quote(self) -> Quote:
        """The agreed price in the shape the keeper already pushes; named for its source when it had one."""
        source = self.used[0] if len(self.used) == 1 else CONSENSUS_SOURCE
        return Quote(symbol=self.symbol, price=self.price, timestamp=self.observed_at, source=source)

    def as_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "price": format_price(self.price),
            "observedAt": self.observed_at,
            "sources": list(self.used),
            "ignored": {source: str(why) for source, why in self.ignored.items()},
            "spreadPct": self.spread_pct,
        }


@dataclass(frozen=True)
class NoPrice:
    """Nothing is pushed for this asset this cycle; `detail` says why in JSON-ready values."""

    symbol: str
    reason: Reason
    detail: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "reason": str(self.reason), **self.detail}


Outcome = Agreed | NoPrice


@dataclass(frozen=True)
class _Fresh:
    source: str
    price: int
    timestamp: int


def combine(
    quotes_by_source: Mapping[str, Mapping[str, Quote]],
    *,
    now: float,
    min_sources: int,
    max_spread_pct: Decimal,
    max_age: float,
    symbols: Iterable[str] | None = None,
    max_ahead: float = CLOCK_ALLOWANCE,
) -> dict[str, Outcome]:
    """Every symbol's outcome. A source that failed this cycle belongs in the input with `{}`.

    `symbols` defaults to every symbol any source quoted; a symbol nobody quoted gets `no_quotes`.
    """
    wanted = list(symbols) if symbols is not None else sorted({s for quotes in quotes_by_source.values() for s in quotes})
    return {
        symbol: consensus_for(
            symbol,
            {source: quotes.get(symbol) for source, quotes in quotes_by_source.items()},
            now=now,
            min_sources=min_sources,
            max_spread_pct=max_spread_pct,
            max_age=max_age,
            max_ahead=max_ahead,
        )
        for symbol in wanted
    }


def consensus_for(
    symbol: str,
    by_source: Mapping[str, Quote | None],
    *,
    now: float,
    min_sources: int,
    max_spread_pct: Decimal,
    max_age: float,
    max_ahead: float = CLOCK_ALLOWANCE,
) -> Outcome:
    """One asset's outcome from each source's quote (None: the source gave none)."""
    _check_rules(min_sources, max_spread_pct, max_age)
    missing = sorted(source for source, quote in by_source.items() if quote is None)
    fresh, stale_ages, ahead = _split_fresh(by_source, now, max_age, max_ahead)
    counts: dict[str, Any] = {"fresh": len(fresh), "required": min_sources, "stale": stale_ages, "missing": missing}
    if ahead:
        counts["future"] = ahead  # source -> seconds ahead of `now`
    if not fresh:
        return NoPrice(symbol, Reason.STALE if stale_ages else Reason.FUTURE if ahead else Reason.NO_QUOTES, counts)
    if len(fresh) < min_sources:
        return NoPrice(symbol, Reason.TOO_FEW_SOURCES, {**counts, "prices": _prices(fresh)})
    group, split = _agreeing_group(fresh, Fraction(max_spread_pct))
    if split or len(group) < min_sources:
        detail = {
            **counts,
            "spreadPct": _spread_pct(fresh),
            "maxSpreadPct": str(max_spread_pct),
            "prices": _prices(fresh),
            "largestGroup": [q.source for q in group],
            "split": split,
        }
        return NoPrice(symbol, Reason.SOURCES_DISAGREE, detail)
    return _agreed(symbol, group, fresh, stale_ages, missing, ahead)


def _agreed(symbol: str, group: Sequence[_Fresh], fresh: Sequence[_Fresh], stale: Mapping[str, int],
            missing: Sequence[str], ahead: Mapping[str, int]) -> Agreed:
    used = {q.source for q in group}
    ignored: dict[str, Ignored] = {q.source: Ignored.OUTLIER for q in fresh if q.source not in used}
    ignored.update({source: Ignored.FUTURE for source in ahead})
    ignored.update({source: Ignored.STALE for source in stale})
    ignored.update({source: Ignored.NO_QUOTE for source in missing})
    return Agreed(
        symbol=symbol,
        price=median_price([q.price for q in group]),
        observed_at=max(q.timestamp for q in group),
        used=tuple(q.source for q in group),
        ignored=dict(sorted(ignored.items())),
        spread_pct=_spread_pct(group),
    )


def median_price(prices: Sequence[int]) -> int:
    """The middle price; for an even count the two middle ones averaged, rounded down to a unit."""
    if not prices:
        raise ValueError("median of no prices")
    ordered = sorted(prices)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2


def agree(low: int, high: int, max_spread_pct: Decimal | Fraction) -> bool:
    """True when high / low - 1 <= max_spread_pct / 100, decided exactly."""
    if low <= 0 or high < low:
        raise ValueError("agree() needs 0 < low <= high")
    return 100 * high <= low * (100 + Fraction(max_spread_pct))


def _check_rules(min_sources: int, max_spread_pct: Decimal, max_age: float) -> None:
    if isinstance(max_spread_pct, (float, bool)) or not isinstance(max_spread_pct, (Decimal, int)):
        # A float spread would make the agreement test inexact; refuse it as prices refuse floats.
        raise TypeError("max_spread_pct must be a Decimal")
    if min_sources < 1:
        raise ValueError("min_sources must be at least 1")
    if max_spread_pct < 0 or max_age < 0:
        raise ValueError("max_spread_pct and max_age must not be negative")


def _split_fresh(by_source: Mapping[str, Quote | None], now: float, max_age: float,
                 max_ahead: float) -> tuple[list[_Fresh], dict[str, int], dict[str, int]]:
    """(fresh quotes by price, stale: source -> age, from the future: source -> seconds ahead). Compared, never
    subtracted from the float clock: a timestamp of 10**400 is refused, not an OverflowError."""
    fresh: list[_Fresh] = []
    stale: dict[str, int] = {}
    ahead: dict[str, int] = {}
    for source, quote in sorted(by_source.items()):
        if quote is None:
            continue
        if quote.timestamp > now + max_ahead:
            ahead[source] = quote.timestamp - int(now)
        elif quote.timestamp < now - max_age:
            stale[source] = int(now) - quote.timestamp  # seconds, for the reason only
        else:
            fresh.append(_Fresh(source, quote.price, quote.timestamp))
    fresh.sort(key=lambda q: (q.price, q.source))
    return fresh, stale, ahead


def _agreeing_group(ordered: Sequence[_Fresh], spread: Fraction) -> tuple[list[_Fresh], bool]:
    """The longest agreeing run of the price-sorted quotes, and whether equal runs split the sources."""
    runs = _longest_runs(ordered, spread)
    first, last = runs[0], runs[-1]
    if last[0] > first[1]:  # two equally long runs with no quote in common
        return list(ordered[first[0] : first[1] + 1]), True
    overall = _exact_median([q.price for q in ordered])

    def preference(run: tuple[int, int]) -> tuple[Fraction, Fraction, int]:
        prices = [q.price for q in ordered[run[0] : run[1] + 1]]
        return abs(_exact_median(prices) - overall), Fraction(prices[-1], prices[0]), run[0]

    best = min(runs, key=preference)
    return list(ordered[best[0] : best[1] + 1]), False


def _exact_median(prices: Sequence[int]) -> Fraction:
    """The unrounded median of sorted prices: only for choosing between runs."""
    middle = len(prices) // 2
    if len(prices) % 2:
        return Fraction(prices[middle])
    return Fraction(prices[middle - 1] + prices[middle], 2)


def _longest_runs(ordered: Sequence[_Fresh], spread: Fraction) -> list[tuple[int, int]]:
    """Every (start, end) run of maximal length whose ends agree, by start (two pointers)."""
    runs: list[tuple[int, int]] = []
    best = 0
    start = 0
    for end, quote in enumerate(ordered):
        while not agree(ordered[start].price, quote.price, spread):
            start += 1
        length = end - start + 1
        if length > best:
            best, runs = length, [(start, end)]
        elif length == best:
            runs.append((start, end))
    return runs


def _spread_pct(quotes: Sequence[_Fresh]) -> str:
    """(max / min - 1) in percent, rounded up at 4 decimals so it never looks smaller than it is."""
    low, high = min(q.price for q in quotes), max(q.price for q in quotes)
    scale = 10**SPREAD_DECIMALS
    scaled = -(-(high - low) * 100 * scale // low)  # ceiling division
    return format(Decimal(scaled).scaleb(-SPREAD_DECIMALS), "f")


def _prices(quotes: Iterable[_Fresh]) -> dict[str, str]:
    return {q.source: format_price(q.price) for q in sorted(quotes, key=lambda q: q.source)}
