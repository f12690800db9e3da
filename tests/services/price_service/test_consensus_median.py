"""The median-of-sources rule: the median itself, exact in integer price units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.price_service.consensus import Agreed, median_price
from services.price_service.sources.base import Quote
from tests.services.price_service.consensus_cases import NOW, decide, quotes, usd


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
