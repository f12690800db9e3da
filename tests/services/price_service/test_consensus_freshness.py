"""The median-of-sources rule: which quotes are fresh enough to count, and what is said about the others."""

from __future__ import annotations

from services.price_service.consensus import Agreed, Ignored, NoPrice, Reason
from services.price_service.sources.base import Quote
from tests.services.price_service.consensus_cases import NOW, decide, quotes, usd


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
