"""CoinMarketCap source against bodies shaped like the real Pro API v2 answers (respx stands in for CMC)."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest
import respx

from services.price_service.sources import CoinMarketCapSource, PriceFetchError, make_source, to_price_units
from services.price_service.sources.mock import MockPriceSource

BASE_URL = "https://pro-api.coinmarketcap.com"
QUOTES_URL = f"{BASE_URL}/v2/cryptocurrency/quotes/latest"
API_KEY = "b54bcf4d-1bca-4e8e-9a24-22ff2c3d462c"
NOW = 1_731_622_420.0  # 2024-11-14T22:13:40Z, 40 s into its minute


def coin(
    id: int,
    name: str,
    symbol: str,
    slug: str,
    *,
    rank: int | None,
    price: str,
    active: int = 1,
    last_updated: str = "2024-11-14T22:12:00.000Z",
) -> str:
    """One listing as CMC sends it; `price` is the raw JSON literal so long decimals reach the parser intact."""
    return f"""{{
      "id": {id}, "name": "{name}", "symbol": "{symbol}", "slug": "{slug}",
      "num_market_pairs": 11814, "date_added": "2013-04-28T00:00:00.000Z",
      "tags": [{{"slug": "mineable", "name": "Mineable", "category": "OTHERS"}}],
      "max_supply": 21000000, "circulating_supply": 19785234, "total_supply": 19785234,
      "is_active": {active}, "infinite_supply": false, "platform": null,
      "cmc_rank": {"null" if rank is None else rank}, "is_fiat": 0,
      "self_reported_circulating_supply": null, "self_reported_market_cap": null, "tvl_ratio": null,
      "last_updated": "{last_updated}",
      "quote": {{"USD": {{
        "price": {price}, "volume_24h": 93836406135.17474, "volume_change_24h": 12.4851,
        "percent_change_1h": -0.35287426, "percent_change_24h": 3.62145841, "percent_change_7d": 20.05123957,
        "percent_change_30d": 36.11254398, "percent_change_60d": 55.4612512, "percent_change_90d": 53.96481133,
        "market_cap": 1732541281432.8577, "market_cap_dominance": 59.7913, "fully_diluted_market_cap": 1838980937634.45,
        "tvl": null, "last_updated": "{last_updated}"
      }}}}
    }}"""


def ok_body(data: dict[str, list[str]]) -> str:
    entries = ",\n".join(f'"{key}": [{", ".join(coins)}]' for key, coins in data.items())
    return f"""{{
      "status": {{"timestamp": "2024-11-14T22:13:20.170Z", "error_code": 0, "error_message": null,
                 "elapsed": 37, "credit_count": 1, "notice": null}},
      "data": {{{entries}}}
    }}"""


def error_body(code: int, message: str) -> str:
    return json.dumps(
        {
            "status": {
                "timestamp": "2024-11-14T22:13:20.170Z",
                "error_code": code,
                "error_message": message,
                "elapsed": 0,
                "credit_count": 0,
            }
        }
    )


def reply(status: int, text: str) -> httpx.Response:
    return httpx.Response(status, content=text.encode(), headers={"Content-Type": "application/json"})


BTC = coin(1, "Bitcoin", "BTC", "bitcoin", rank=1, price="97123.456789123")
ETH = coin(1027, "Ethereum", "ETH", "ethereum", rank=2, price="3172.0499999999997")


@pytest.fixture
def cmc() -> respx.MockRouter:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


def make(**kwargs) -> CoinMarketCapSource:  # type: ignore[no-untyped-def]
    kwargs.setdefault("backoff", 0.001)
    kwargs.setdefault("clock", lambda: NOW)
    return CoinMarketCapSource(API_KEY, BASE_URL, **kwargs)


async def test_one_request_for_all_symbols_with_key_header_and_query(cmc: respx.MockRouter) -> None:
    route = cmc.get(QUOTES_URL).mock(return_value=reply(200, ok_body({"BTC": [BTC], "ETH": [ETH]})))

    quotes = await make().fetch(["BTC", "ETH"])

    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["X-CMC_PRO_API_KEY"] == API_KEY
    assert request.headers["Accept"] == "application/json"
    assert dict(request.url.params) == {"symbol": "BTC,ETH", "convert": "USD"}
    assert set(quotes) == {"BTC", "ETH"}
    assert quotes["BTC"].source == "cmc"
    assert quotes["BTC"].timestamp == 1_731_622_320  # quote.USD.last_updated, 22:12:00Z


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


async def test_error_code_in_a_200_answer_is_a_failure(cmc: respx.MockRouter) -> None:
    cmc.get(QUOTES_URL).mock(return_value=reply(200, error_body(500, "An internal server error occurred")))

    with pytest.raises(PriceFetchError) as caught:
        await make().fetch(["BTC"])

    assert caught.value.status == 200
    assert caught.value.error_code == 500
    assert "An internal server error occurred" in caught.value.message


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (401, 1001, "This API Key is invalid."),
        (401, 1002, "API key missing."),
        (402, 1003, "Your API Key must be activated. Please go to pro.coinmarketcap.com/account/plan."),
        (403, 1006, "Your API Key subscription plan doesn't support this endpoint."),
    ],
)
async def test_key_and_plan_errors_are_config_errors_and_not_retried(
    cmc: respx.MockRouter, status: int, code: int, message: str
) -> None:
    route = cmc.get(QUOTES_URL).mock(return_value=reply(status, error_body(code, message)))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=3).fetch(["BTC", "ETH"])

    assert route.call_count == 1
    assert caught.value.config_error is True
    assert (caught.value.status, caught.value.error_code) == (status, code)


async def test_rate_limit_is_not_retried_and_says_when_the_minute_window_resets(cmc: respx.MockRouter) -> None:
    message = "You've exceeded your API Key's HTTP request rate limit. Rate limits reset every minute."
    route = cmc.get(QUOTES_URL).mock(return_value=reply(429, error_body(1008, message)))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 1
    assert caught.value.retry_after == pytest.approx(20.0)  # clock is 40 s into its minute
    assert caught.value.config_error is False
    assert caught.value.error_code == 1008


async def test_spent_daily_allowance_waits_for_the_utc_day_reset(cmc: respx.MockRouter) -> None:
    cmc.get(QUOTES_URL).mock(return_value=reply(429, error_body(1009, "You've exceeded your API Key's daily rate limit.")))

    with pytest.raises(PriceFetchError) as caught:
        await make().fetch(["BTC"])

    assert caught.value.retry_after == pytest.approx(1_731_628_800 - NOW)  # 2024-11-15T00:00:00Z


async def test_server_error_then_success_is_retried(cmc: respx.MockRouter) -> None:
    route = cmc.get(QUOTES_URL).mock(
        side_effect=[reply(500, error_body(500, "An internal server error occurred")), reply(200, ok_body({"BTC": [BTC]}))]
    )

    quotes = await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 2
    assert quotes["BTC"].price == 9712345678912


async def test_persistent_503_gives_up_after_exactly_attempts_calls(cmc: respx.MockRouter) -> None:
    route = cmc.get(QUOTES_URL).mock(return_value=httpx.Response(503, text="<html>Service Unavailable</html>"))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=4).fetch(["BTC"])

    assert route.call_count == 4
    assert caught.value.status == 503
    assert caught.value.config_error is False


async def test_persistent_timeouts_give_up_after_exactly_attempts_calls(cmc: respx.MockRouter) -> None:
    route = cmc.get(QUOTES_URL).mock(side_effect=httpx.ReadTimeout("timed out"))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 3
    assert caught.value.status is None
    assert "timed out" in str(caught.value)


async def test_unknown_symbol_is_dropped_and_the_rest_still_priced(cmc: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if "FOOZ" in request.url.params["symbol"]:
            return reply(400, error_body(400, 'Invalid value for "symbol": "FOOZ"'))
        return reply(200, ok_body({"BTC": [BTC], "ETH": [ETH]}))

    route = cmc.get(QUOTES_URL).mock(side_effect=answer)
    source = make()

    quotes = await source.fetch(["BTC", "FOOZ", "ETH"])

    assert set(quotes) == {"BTC", "ETH"}
    assert route.call_count == 2
    assert route.calls.last.request.url.params["symbol"] == "BTC,ETH"
    assert "FOOZ" in source.last_rejected


async def test_several_unknown_symbols_named_at_once_are_all_dropped(cmc: respx.MockRouter) -> None:
    route = cmc.get(QUOTES_URL).mock(
        side_effect=[
            reply(400, error_body(400, 'Invalid values for "symbol": "FOOZ,BARZ"')),
            reply(200, ok_body({"BTC": [BTC]})),
        ]
    )

    quotes = await make().fetch(["FOOZ", "BTC", "BARZ"])

    assert set(quotes) == {"BTC"}
    assert route.calls.last.request.url.params["symbol"] == "BTC"


async def test_other_bad_requests_fail_without_a_second_try(cmc: respx.MockRouter) -> None:
    route = cmc.get(QUOTES_URL).mock(return_value=reply(400, error_body(400, '"convert" must be a valid fiat or crypto')))

    with pytest.raises(PriceFetchError) as caught:
        await make().fetch(["BTC"])

    assert route.call_count == 1
    assert caught.value.error_code == 400


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


async def test_api_key_never_appears_in_errors_or_repr(cmc: respx.MockRouter) -> None:
    # Even if CMC echoed the key back, it must not reach an exception.
    cmc.get(QUOTES_URL).mock(return_value=reply(401, error_body(1001, f"This API Key is invalid: {API_KEY}")))
    source = make()

    with pytest.raises(PriceFetchError) as caught:
        await source.fetch(["BTC"])

    for text in (str(caught.value), repr(caught.value), caught.value.message, repr(source)):
        assert API_KEY not in text
    assert "\n" not in str(caught.value)


async def test_a_client_we_were_given_is_left_open() -> None:
    async with httpx.AsyncClient() as client:
        await make(client=client).close()
        assert not client.is_closed


async def test_make_source_picks_mock_for_empty_or_mock_key() -> None:
    assert isinstance(make_source("", BASE_URL), MockPriceSource)
    assert isinstance(make_source(" MoCk ", BASE_URL), MockPriceSource)
    real = make_source(API_KEY, BASE_URL)
    assert isinstance(real, CoinMarketCapSource)
    await real.close()


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
