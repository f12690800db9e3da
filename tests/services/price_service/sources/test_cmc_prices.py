"""CoinMarketCap source: prices read exactly from bodies shaped like the real Pro API v2 answers, or left out with a reason."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import respx

from services.price_service.sources import to_price_units
from tests.services.price_service.sources.cmc_answers import BTC, ETH, QUOTES_URL, coin, make, ok_body, reply


async def test_prices_are_exact_to_8_decimals_without_float(cmc: respx.MockRouter) -> None:
    # Each of these goes wrong through float: 0.1 + 0.2 style tails, and digits beyond a double's 17.
    body = ok_body(
        {
            "BTC": [BTC],
            "ETH": [ETH],
            "OP": [coin(11840, "Optimism", "OP", "optimism-ethereum", rank=45, price="0.30000000000000004")],
            "XBIG": [coin(99001, "Big", "XBIG", "big", rank=900, price="123456789012.123456785")],
            "XHALF": [coin(99002, "Half", "XHALF", "half", rank=901, price="0.000000025")],
        }
    )
    cmc.get(QUOTES_URL).mock(return_value=reply(200, body))

    quotes = await make().fetch(["BTC", "ETH", "OP", "XBIG", "XHALF"])

    assert quotes["BTC"].price == 9712345678912
    assert quotes["ETH"].price == 317205000000
    assert quotes["OP"].price == 30000000
    assert quotes["XBIG"].price == 12345678901212345678  # half-even: ...785 -> ...78
    assert quotes["XHALF"].price == 2  # half-even: 2.5 units -> 2
    assert all(isinstance(q.price, int) for q in quotes.values())


async def test_highest_ranked_active_coin_wins_and_keys_match_case_insensitively(cmc: respx.MockRouter) -> None:
    eth_listings = [
        coin(29991, "The Infinite Garden", "ETH", "the-infinite-garden", rank=3120, price="0.0009912"),
        coin(1027, "Ethereum", "ETH", "ethereum", rank=2, price="3172.05"),
        # Inactive impostor with an even better rank: must be ignored.
        coin(31337, "Old Ether", "ETH", "old-ether", rank=1, price="99999", active=0),
        coin(30102, "Ethereum Classic Pepe", "ETH", "eth-pepe", rank=None, price="0.5"),
    ]
    body = ok_body({"eth": eth_listings, "btc": [BTC]})  # lower-case keys, as CMC sometimes echoes them
    cmc.get(QUOTES_URL).mock(return_value=reply(200, body))

    quotes = await make().fetch(["ETH", "BTC"])

    assert quotes["ETH"].price == 317205000000
    assert quotes["BTC"].price == 9712345678912


@pytest.mark.parametrize(
    ("price", "reason"),
    [("null", "missing"), ('"abc"', "not a number"), ("0", "not positive"), ("-5", "not positive"), ("0.000000001", "zero")],
)
async def test_unusable_prices_are_left_out(cmc: respx.MockRouter, price: str, reason: str) -> None:
    bad = coin(5426, "Solana", "SOL", "solana", rank=5, price=price)
    cmc.get(QUOTES_URL).mock(return_value=reply(200, ok_body({"BTC": [BTC], "SOL": [bad]})))
    source = make()

    quotes = await source.fetch(["BTC", "SOL"])

    assert set(quotes) == {"BTC"}
    assert reason in source.last_rejected["SOL"]


async def test_missing_quote_and_missing_symbol_are_left_out(cmc: respx.MockRouter) -> None:
    no_quote = json.loads(coin(5426, "Solana", "SOL", "solana", rank=5, price="1"), parse_float=Decimal)
    no_quote["quote"] = {}
    body = ok_body({"BTC": [BTC], "SOL": [json.dumps(no_quote, default=str)]})
    cmc.get(QUOTES_URL).mock(return_value=reply(200, body))
    source = make()

    quotes = await source.fetch(["BTC", "SOL", "ETH"])

    assert set(quotes) == {"BTC"}
    assert set(source.last_rejected) == {"SOL", "ETH"}


@pytest.mark.parametrize(
    ("value", "units"),
    [
        ("97123.456789123", 9712345678912),
        (Decimal("0.1") + Decimal("0.2"), 30000000),
        ("1E+2", 10_000_000_000),
        ("0.000000015", 2),
    ],
)
def test_to_price_units_is_exact(value: object, units: int) -> None:
    assert to_price_units(value) == units  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-0.5", "0", "abc", "", "0.000000004", 0.3])
def test_to_price_units_rejects_unusable_values(value: object) -> None:
    with pytest.raises(ValueError):
        to_price_units(value)  # type: ignore[arg-type]
