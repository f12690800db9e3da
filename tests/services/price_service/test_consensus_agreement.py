"""The median-of-sources rule: when quotes agree within the spread, how groups are picked, and which rules are refused."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from services.price_service.consensus import Agreed, NoPrice, Reason, agree
from tests.services.price_service.consensus_cases import decide, quotes, usd


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
