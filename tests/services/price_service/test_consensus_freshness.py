"""The median-of-sources rule: which quotes are fresh enough to count, and what is said about the others."""

from __future__ import annotations

from services.price_service.consensus import CLOCK_ALLOWANCE, Agreed, Ignored, NoPrice, Reason
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


def test_a_timestamp_ahead_of_now_within_the_clock_allowance_is_fresh() -> None:
    outcome = decide(quotes(age=-CLOCK_ALLOWANCE, cmc="97000", coingecko="97000"))

    assert isinstance(outcome, Agreed) and outcome.observed_at == NOW + CLOCK_ALLOWANCE


def test_a_quote_from_the_future_is_one_vote_refused_never_a_veto() -> None:
    # CoinGecko's clock 250 s ahead, prices agreeing (issue 21): the two honest quotes carry the price.
    by_source = {**quotes(cmc="97000", kraken="97010"), **quotes(age=-250, coingecko="97005")}

    outcome = decide(by_source)

    assert isinstance(outcome, Agreed) and outcome.used == ("cmc", "kraken") and outcome.observed_at == NOW - 10
    assert outcome.ignored == {"coingecko": Ignored.FUTURE}


def test_only_quotes_from_the_future_give_reason_future_and_how_far_ahead() -> None:
    outcome = decide({**quotes(age=-(CLOCK_ALLOWANCE + 1), cmc="97000"), **quotes(age=-(10**30), coingecko="97000")})

    assert isinstance(outcome, NoPrice) and outcome.reason is Reason.FUTURE
    assert outcome.detail["future"] == {"cmc": CLOCK_ALLOWANCE + 1, "coingecko": 10**30}


def test_a_timestamp_beyond_any_float_is_refused_not_a_crash() -> None:
    outcome = decide({**quotes(cmc="97000", kraken="97000"), **quotes(age=-(10**400), coingecko="97000")})

    assert isinstance(outcome, Agreed) and outcome.ignored == {"coingecko": Ignored.FUTURE}


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
