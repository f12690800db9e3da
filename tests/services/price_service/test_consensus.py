"""The median-of-sources rule: examples from issue 15 and properties that must hold for any prices."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.price_service.consensus import (
    CONSENSUS_SOURCE,
    Agreed,
    Ignored,
    NoPrice,
    Reason,
    agree,
    combine,
    consensus_for,
    median_price,
)
from services.price_service.sources.base import Quote

NOW = 1_731_622_420
UNIT = 10**8
RULES: dict[str, Any] = {"now": NOW, "min_sources": 2, "max_spread_pct": Decimal("2"), "max_age": 300}


def usd(amount: str) -> int:
    return int(Decimal(amount) * UNIT)


def quotes(symbol: str = "BTC", age: int = 10, **prices: str | None) -> dict[str, Quote | None]:
    return {
        source: None if price is None else Quote(symbol=symbol, price=usd(price), timestamp=NOW - age, source=source)
        for source, price in prices.items()
    }


def decide(by_source: Mapping[str, Quote | None], **overrides: Any) -> Agreed | NoPrice:
    return consensus_for("BTC", by_source, **{**RULES, **overrides})


# --- the scenarios the issue names -------------------------------------------------------------


def test_two_of_three_agreeing_push_and_the_outlier_is_ignored() -> None:
    outcome = decide(quotes(cmc="97000", coingecko="97100", kraken="120000"))

    assert isinstance(outcome, Agreed)
    assert outcome.price == usd("97050")
    assert outcome.used == ("cmc", "coingecko")
    assert outcome.ignored == {"kraken": Ignored.OUTLIER}


def test_a_single_source_move_is_not_pushed_under_min_sources_2() -> None:
    # Two sources; one of them crashes 20 %: they no longer agree, nothing is pushed.
    outcome = decide(quotes(cmc="77600", coingecko="97000"))

    assert isinstance(outcome, NoPrice)
    assert outcome.reason is Reason.SOURCES_DISAGREE
    assert outcome.detail["prices"] == {"cmc": "77600", "coingecko": "97000"}
    assert outcome.detail["spreadPct"] == "25.0000"


def test_a_single_source_move_among_three_keeps_the_agreed_price() -> None:
    outcome = decide(quotes(cmc="77600", coingecko="97000", kraken="97010"))

    assert isinstance(outcome, Agreed)
    assert outcome.price == usd("97005")
    assert outcome.ignored == {"cmc": Ignored.OUTLIER}


def test_one_source_alone_is_not_enough_when_two_are_required() -> None:
    outcome = decide(quotes(cmc="97000", coingecko=None))

    assert isinstance(outcome, NoPrice)
    assert outcome.reason is Reason.TOO_FEW_SOURCES
    assert outcome.detail == {"fresh": 1, "required": 2, "stale": {}, "missing": ["coingecko"], "prices": {"cmc": "97000"}}


def test_one_source_is_enough_when_one_is_required() -> None:
    outcome = decide(quotes(cmc="97000"), min_sources=1)

    assert isinstance(outcome, Agreed)
    assert outcome.price == usd("97000")


# --- median ----------------------------------------------------------------------------------


def test_odd_count_takes_the_middle_quote() -> None:
    outcome = decide(quotes(a="100.00", b="100.50", c="101.00"), min_sources=3)

    assert isinstance(outcome, Agreed) and outcome.price == usd("100.50")


def test_even_count_averages_the_two_middle_quotes_rounding_down_a_unit() -> None:
    assert median_price([3, 4]) == 3  # 3.5 units -> 3
    assert median_price([10_000_000_001, 10_000_000_002, 9_999_999_999, 10_000_000_000]) == 10_000_000_000
    outcome = decide({"a": Quote("BTC", 100, NOW, "a"), "b": Quote("BTC", 101, NOW, "b")}, max_spread_pct=Decimal(1))
    assert isinstance(outcome, Agreed) and outcome.price == 100


def test_median_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        median_price([])


# --- freshness -------------------------------------------------------------------------------


def test_stale_quotes_are_dropped_and_named() -> None:
    by_source = {**quotes(cmc="97000", coingecko="97100"), **quotes(age=301, kraken="97050")}

    outcome = decide(by_source)

    assert isinstance(outcome, Agreed)
    assert outcome.used == ("cmc", "coingecko")
    assert outcome.ignored == {"kraken": Ignored.STALE}


def test_a_quote_exactly_max_age_old_is_still_fresh() -> None:
    outcome = decide(quotes(age=300, cmc="97000", coingecko="97000"))

    assert isinstance(outcome, Agreed)


def test_only_stale_quotes_give_reason_stale_with_their_ages() -> None:
    outcome = decide(quotes(age=900, cmc="97000", coingecko="97000"))

    assert isinstance(outcome, NoPrice)
    assert outcome.reason is Reason.STALE
    assert outcome.detail["stale"] == {"cmc": 900, "coingecko": 900}


def test_one_fresh_and_one_stale_is_too_few_sources() -> None:
    outcome = decide({**quotes(cmc="97000"), **quotes(age=301, coingecko="97000")})

    assert isinstance(outcome, NoPrice)
    assert outcome.reason is Reason.TOO_FEW_SOURCES
    assert outcome.detail["stale"] == {"coingecko": 301}


def test_a_timestamp_ahead_of_now_is_fresh() -> None:
    outcome = decide(quotes(age=-30, cmc="97000", coingecko="97000"))

    assert isinstance(outcome, Agreed) and outcome.observed_at == NOW + 30


def test_observed_at_is_the_newest_quote_used_not_the_newest_seen() -> None:
    by_source = {
        "cmc": Quote("BTC", usd("97000"), NOW - 50, "cmc"),
        "coingecko": Quote("BTC", usd("97000"), NOW - 20, "coingecko"),
        "kraken": Quote("BTC", usd("50000"), NOW, "kraken"),  # newest, but an outlier
    }

    outcome = decide(by_source)

    assert isinstance(outcome, Agreed) and outcome.observed_at == NOW - 20


def test_nobody_quoting_is_no_quotes() -> None:
    outcome = decide(quotes(cmc=None, coingecko=None))

    assert isinstance(outcome, NoPrice)
    assert outcome.reason is Reason.NO_QUOTES
    assert outcome.detail["missing"] == ["cmc", "coingecko"]


# --- agreement -------------------------------------------------------------------------------


def test_spread_exactly_at_the_limit_agrees_and_one_unit_more_does_not() -> None:
    low = usd("100")
    assert agree(low, usd("102"), Decimal(2))
    assert not agree(low, usd("102") + 1, Decimal(2))
    assert agree(3, 3, Decimal(0))
    # 1/3 % is not a finite decimal: the comparison is still exact.
    assert agree(300, 301, Fraction(1, 3))
    assert not agree(299, 300, Fraction(1, 3))


def test_agree_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        agree(0, 1, Decimal(1))
    with pytest.raises(ValueError):
        agree(2, 1, Decimal(1))


def test_two_equal_camps_are_a_split_and_push_nothing() -> None:
    outcome = decide(quotes(a="100", b="100.5", c="110", d="110.5"))

    assert isinstance(outcome, NoPrice)
    assert outcome.reason is Reason.SOURCES_DISAGREE
    assert outcome.detail["split"] is True


def test_overlapping_equal_groups_pick_the_one_nearest_the_overall_median() -> None:
    # Runs [99.9, 101.9] and [101.9, 102] are both 2 long and share 101.9; the overall median is
    # 101.9, and the second run's median (101.95) is nearer to it than the first's (100.9).
    outcome = decide(quotes(a="99.9", b="101.9", c="102"))

    assert isinstance(outcome, Agreed)
    assert outcome.used == ("b", "c")
    assert outcome.price == usd("101.95")


def test_disagreement_names_the_largest_group_and_the_limit() -> None:
    outcome = decide(quotes(a="100", b="101", c="150", d="300"), min_sources=3)

    assert isinstance(outcome, NoPrice)
    assert outcome.detail["largestGroup"] == ["a", "b"]
    assert outcome.detail["maxSpreadPct"] == "2"
    assert outcome.detail["split"] is False
    assert outcome.detail["spreadPct"] == "200.0000"


def test_spread_is_rounded_up_so_it_never_looks_within_the_limit() -> None:
    outcome = decide(quotes(a="100", b="102.00000001"))

    assert isinstance(outcome, NoPrice) and outcome.detail["spreadPct"] == "2.0001"


@pytest.mark.parametrize("bad", [2.0, True, "2"])
def test_a_float_or_text_spread_is_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        decide(quotes(a="100", b="100"), max_spread_pct=bad)


@pytest.mark.parametrize("overrides", [{"min_sources": 0}, {"max_age": -1}, {"max_spread_pct": Decimal(-1)}])
def test_nonsense_rules_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        decide(quotes(a="100", b="100"), **overrides)


# --- combine and the shapes the keeper uses ----------------------------------------------------


def test_combine_decides_every_symbol_and_a_failed_source_counts_as_missing() -> None:
    by_source = {
        "cmc": {"BTC": Quote("BTC", usd("97000"), NOW, "cmc"), "ETH": Quote("ETH", usd("3400"), NOW, "cmc")},
        "coingecko": {"BTC": Quote("BTC", usd("97010"), NOW, "coingecko")},
        "kraken": {},  # its request failed this cycle
    }

    outcomes = combine(by_source, symbols=["BTC", "ETH", "SOL"], **RULES)

    assert isinstance(outcomes["BTC"], Agreed)
    assert outcomes["BTC"].ignored == {"kraken": Ignored.NO_QUOTE}
    assert isinstance(outcomes["ETH"], NoPrice) and outcomes["ETH"].reason is Reason.TOO_FEW_SOURCES
    assert outcomes["ETH"].detail["missing"] == ["coingecko", "kraken"]
    assert isinstance(outcomes["SOL"], NoPrice) and outcomes["SOL"].reason is Reason.NO_QUOTES
    assert set(combine(by_source, **RULES)) == {"BTC", "ETH"}


def test_agreed_becomes_a_quote_and_both_outcomes_serialise_without_float() -> None:
    agreed = decide(quotes(cmc="97000.12345678", coingecko="97000.12345678"))
    refused = decide(quotes(cmc="97000", coingecko="50000"))
    assert isinstance(agreed, Agreed) and isinstance(refused, NoPrice)

    assert agreed.quote() == Quote("BTC", 9700012345678, NOW - 10, CONSENSUS_SOURCE)
    assert agreed.as_dict()["price"] == "97000.12345678"
    assert refused.as_dict()["reason"] == "sources_disagree"
    for payload in (agreed.as_dict(), refused.as_dict()):
        assert not _has_float(payload)
        json.dumps(payload)


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_float(v) for v in value)
    return False


# --- properties ------------------------------------------------------------------------------

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

    assert not _has_float(outcome.as_dict())
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
