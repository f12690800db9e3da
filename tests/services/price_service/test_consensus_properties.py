"""The median-of-sources rule: properties that must hold for any prices (hypothesis)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.price_service.consensus import Agreed, Ignored, NoPrice, agree, median_price
from services.price_service.sources.base import Quote
from tests.services.price_service.consensus_cases import NOW, decide, has_float

SPREADS = st.sampled_from([Decimal("0"), Decimal("0.5"), Decimal("2"), Decimal("5"), Decimal("12.5")])
PRICES = st.integers(min_value=1, max_value=10**20)


@st.composite
def quote_sets(draw: st.DrawFn) -> dict[str, Quote | None]:
    count = draw(st.integers(min_value=0, max_value=7))
    result: dict[str, Quote | None] = {}
    for index in range(count):
        source = f"s{index}"
        if draw(st.booleans()) and draw(st.booleans()):
            result[source] = None
            continue
        age = draw(st.integers(min_value=-60, max_value=600))
        result[source] = Quote("BTC", draw(PRICES), NOW - age, source)
    return result


@settings(max_examples=300, deadline=None)
@given(by_source=quote_sets(), spread=SPREADS, min_sources=st.integers(min_value=1, max_value=5))
def test_any_outcome_is_consistent_with_its_inputs(
    by_source: dict[str, Quote | None], spread: Decimal, min_sources: int
) -> None:
    outcome = decide(by_source, max_spread_pct=spread, min_sources=min_sources)
    fresh = {s: q for s, q in by_source.items() if q is not None and NOW - q.timestamp <= 300}

    assert not has_float(outcome.as_dict())
    if len(fresh) < min_sources:
        assert isinstance(outcome, NoPrice)
    if isinstance(outcome, NoPrice):
        return
    used = [fresh[s].price for s in outcome.used]
    assert len(used) >= min_sources
    assert min(used) <= outcome.price <= max(used)
    assert agree(min(used), max(used), spread)
    assert outcome.observed_at == max(fresh[s].timestamp for s in outcome.used)
    assert set(outcome.used) | set(outcome.ignored) == set(by_source)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), spread=SPREADS)
def test_outliers_beyond_the_spread_never_move_the_price(data: st.DataObject, spread: Decimal) -> None:
    base = data.draw(st.integers(min_value=1000, max_value=10**18))
    room = math.floor(base * Fraction(spread) / 100)
    cluster = data.draw(st.lists(st.integers(min_value=base, max_value=base + room), min_size=2, max_size=6))
    low, high = min(cluster), max(cluster)
    above = math.floor(high * (100 + Fraction(spread)) / 100) + 1
    below = math.ceil(low * 100 / (100 + Fraction(spread))) - 1
    assume(below >= 1)
    outlier = st.one_of(st.integers(min_value=above, max_value=above * 4), st.integers(min_value=1, max_value=below))
    outliers = data.draw(st.lists(outlier, max_size=len(cluster) - 1))
    min_sources = data.draw(st.integers(min_value=1, max_value=len(cluster)))
    by_source: dict[str, Quote | None] = {f"c{i}": Quote("BTC", p, NOW, f"c{i}") for i, p in enumerate(cluster)}
    by_source |= {f"o{i}": Quote("BTC", p, NOW, f"o{i}") for i, p in enumerate(outliers)}

    outcome = decide(by_source, max_spread_pct=spread, min_sources=min_sources)

    assert isinstance(outcome, Agreed)
    assert outcome.price == median_price(cluster)
    assert set(outcome.used) == {f"c{i}" for i in range(len(cluster))}
    assert all(outcome.ignored[f"o{i}"] is Ignored.OUTLIER for i in range(len(outliers)))


@settings(max_examples=200, deadline=None)
@given(by_source=quote_sets(), spread=SPREADS, min_sources=st.integers(min_value=1, max_value=4), seed=st.randoms())
def test_the_order_sources_are_listed_in_does_not_matter(
    by_source: dict[str, Quote | None], spread: Decimal, min_sources: int, seed: Any
) -> None:
    items = list(by_source.items())
    seed.shuffle(items)

    first = decide(by_source, max_spread_pct=spread, min_sources=min_sources)
    second = decide(dict(items), max_spread_pct=spread, min_sources=min_sources)

    assert first == second


@settings(max_examples=200, deadline=None)
@given(prices=st.lists(PRICES, min_size=1, max_size=9))
def test_the_median_is_an_exact_integer_between_the_middle_prices(prices: list[int]) -> None:
    ordered = sorted(prices)
    result = median_price(prices)

    assert isinstance(result, int)
    assert ordered[(len(ordered) - 1) // 2] <= result <= ordered[len(ordered) // 2]
    assert Fraction(result) <= (Fraction(ordered[(len(ordered) - 1) // 2]) + ordered[len(ordered) // 2]) / 2 < result + 1
