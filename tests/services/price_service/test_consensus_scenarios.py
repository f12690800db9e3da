"""The median-of-sources rule on the scenarios issue 15 names: agreeing sources push, a lone mover does not."""

from __future__ import annotations

from services.price_service.consensus import Agreed, Ignored, NoPrice, Reason
from tests.services.price_service.consensus_cases import decide, quotes, usd


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
