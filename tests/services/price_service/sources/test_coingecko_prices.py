"""CoinGecko source: prices read exactly from /simple/price answers as CoinGecko sends them, or left out with a reason."""

from __future__ import annotations

import pytest
import respx

from tests.services.price_service.sources.coingecko_answers import PRO_URL, make
from tests.services.price_service.sources.recorded import NOW, reply


@pytest.mark.parametrize(
    ("literal", "units"),
    [
        ("1.23e-05", 1230),  # exponent notation, exact
        ("1E-8", 1),
        ("2.5E-8", 2),  # half-even at the 9th decimal
        ("0.30000000000000004", 30000000),
        ("97000", 9700000000000),  # an integer literal
        ("123456789012.123456785", 12345678901212345678),
    ],
)
async def test_prices_are_exact_whatever_the_number_notation(http: respx.MockRouter, literal: str, units: int) -> None:
    http.get(PRO_URL).mock(return_value=reply(200, f'{{"pepe": {{"usd": {literal}, "last_updated_at": 1731622320}}}}'))

    quotes = await make().fetch(["PEPE"])

    assert quotes["PEPE"].price == units
    assert isinstance(quotes["PEPE"].price, int)


async def test_an_id_coingecko_does_not_know_is_absent_and_rejected(http: respx.MockRouter) -> None:
    # CoinGecko leaves unknown ids out of the answer (no error): the symbol is rejected with the id.
    http.get(PRO_URL).mock(return_value=reply(200, '{"bitcoin": {"usd": 97000, "last_updated_at": 1731622320}}'))
    source = make(ids={"FOOZ": "no-such-coin"})

    quotes = await source.fetch(["BTC", "FOOZ"])

    assert set(quotes) == {"BTC"}
    assert "no-such-coin" in source.last_rejected["FOOZ"]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("{}", "missing"),
        ('{"usd": null}', "missing"),
        ('{"usd": "abc"}', "not a number"),
        ('{"usd": true}', "not a number"),
        ('{"usd": 0}', "not positive"),
        ('{"usd": -1.5}', "not positive"),
        ('{"usd": 1e-9}', "zero"),
        ('{"usd": NaN}', "not finite"),
        ('{"usd": {"x": 1}}', "not a number"),
    ],
)
async def test_unusable_prices_are_left_out_with_a_reason(http: respx.MockRouter, entry: str, reason: str) -> None:
    http.get(PRO_URL).mock(return_value=reply(200, f'{{"bitcoin": {{"usd": 97000}}, "solana": {entry}}}'))
    source = make()

    quotes = await source.fetch(["BTC", "SOL"])

    assert set(quotes) == {"BTC"}
    assert reason in source.last_rejected["SOL"]


async def test_a_missing_last_updated_at_falls_back_to_the_arrival_time(http: respx.MockRouter) -> None:
    http.get(PRO_URL).mock(return_value=reply(200, '{"bitcoin": {"usd": 97000}}'))

    quotes = await make().fetch(["BTC"])

    assert quotes["BTC"].timestamp == int(NOW)
