"""The median-of-sources rule across symbols (combine) and the shapes the keeper uses: quotes and float-free dicts."""

from __future__ import annotations

import json

from services.price_service.consensus import CONSENSUS_SOURCE, Agreed, Ignored, NoPrice, Reason, combine
from services.price_service.sources.base import Quote
from tests.services.price_service.consensus_cases import NOW, RULES, decide, has_float, quotes, usd


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
        assert not has_float(payload)
        json.dumps(payload)
