"""Coinbase Exchange's product ticker against bodies shaped like its real answers (respx stands in)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import respx

from services.price_service.sources.base import PriceFetchError
from services.price_service.sources.coinbase import DEFAULT_BASE_URL, CoinbaseSource
from tests.services.price_service.sources.recorded import NOW, reply

TICKER = DEFAULT_BASE_URL + "/products/{}/ticker"
NOT_FOUND = '{"message":"NotFound"}'


def ticker(price: str, time: str = "2024-11-14T22:13:39.123456Z") -> str:
    """A ticker as Coinbase sends it: decimal strings, the last trade's time with microseconds."""
    return json.dumps({
        "ask": "97010.01", "bid": "97010", "volume": "8735.49374614", "trade_id": 733049861,
        "price": price, "size": "0.00126813", "time": time, "rfq_volume": "35.186584", "conversions_volume": "0",
    })


def make(**kwargs) -> CoinbaseSource:  # type: ignore[no-untyped-def]
    kwargs.setdefault("backoff", 0.001)
    kwargs.setdefault("min_interval", 0)
    kwargs.setdefault("clock", lambda: NOW)
    return CoinbaseSource(**kwargs)


async def test_one_request_per_product_with_the_trade_time_as_timestamp(http: respx.MockRouter) -> None:
    btc = http.get(TICKER.format("BTC-USD")).mock(return_value=reply(200, ticker("97010.01")))
    eth = http.get(TICKER.format("ETH-USD")).mock(return_value=reply(200, ticker("3172.05", "2024-11-14T22:12:00Z")))

    quotes = await make().fetch(["BTC", "eth", "BTC"])

    assert (btc.call_count, eth.call_count) == (1, 1)
    assert btc.calls.last.request.headers["Accept"] == "application/json"
    assert quotes["BTC"].price == 9701001000000
    assert quotes["BTC"].timestamp == 1731622419  # 22:13:39.123456Z, fraction dropped
    assert quotes["ETH"].timestamp == 1731622320
    assert quotes["ETH"].source == "coinbase"


async def test_configured_products_win_over_the_default(http: respx.MockRouter) -> None:
    route = http.get(TICKER.format("WBTC-USD")).mock(return_value=reply(200, ticker("96990")))

    quotes = await make(products={"btc": "wbtc-usd"}).fetch(["BTC"])

    assert route.call_count == 1
    assert quotes["BTC"].price == 9699000000000


async def test_usdc_is_not_asked_for_because_coinbase_has_no_usdc_usd_book(http: respx.MockRouter) -> None:
    source = make()

    assert await source.fetch(["USDC"]) == {}
    assert "share one order book" in source.last_rejected["USDC"]


async def test_an_unlisted_product_is_rejected_and_the_rest_priced(http: respx.MockRouter) -> None:
    http.get(TICKER.format("BTC-USD")).mock(return_value=reply(200, ticker("97000")))
    http.get(TICKER.format("FOOZ-USD")).mock(return_value=reply(404, NOT_FOUND))
    source = make()

    quotes = await source.fetch(["BTC", "FOOZ"])

    assert set(quotes) == {"BTC"}
    assert source.last_rejected["FOOZ"] == "Coinbase does not list FOOZ-USD (NotFound)"


async def test_only_unlisted_products_is_an_empty_answer_not_a_failure(http: respx.MockRouter) -> None:
    http.get(TICKER.format("FOOZ-USD")).mock(return_value=reply(404, NOT_FOUND))

    assert await make().fetch(["FOOZ"]) == {}


@pytest.mark.parametrize(
    ("price", "reason"),
    [('"abc"', "not a number"), ("null", "missing"), ('"0"', "not positive"), ('"1.23e-05"', None), ("97000.5", None)],
)
async def test_prices_are_exact_or_rejected_with_a_reason(http: respx.MockRouter, price: str, reason: str | None) -> None:
    body = json.loads(ticker("1"))
    body["price"] = json.loads(price)
    http.get(TICKER.format("SOL-USD")).mock(return_value=reply(200, json.dumps(body)))
    source = make()

    quotes = await source.fetch(["SOL"])

    if reason is None:
        assert quotes["SOL"].price in (1230, 9700050000000)
    else:
        assert reason in source.last_rejected["SOL"]


async def test_a_missing_time_falls_back_to_the_arrival_time(http: respx.MockRouter) -> None:
    body = json.loads(ticker("97000"))
    del body["time"]
    http.get(TICKER.format("BTC-USD")).mock(return_value=reply(200, json.dumps(body)))

    assert (await make().fetch(["BTC"]))["BTC"].timestamp == int(NOW)


async def test_a_rate_limit_on_every_product_fails_the_fetch_and_stops_asking(http: respx.MockRouter) -> None:
    route = http.get(url__regex=r".*/products/.*/ticker").mock(
        return_value=reply(429, '{"message":"Public rate limit exceeded"}')
    )

    with pytest.raises(PriceFetchError) as caught:
        await make(concurrency=1).fetch(["BTC", "ETH", "SOL"])

    assert route.call_count == 1  # the products after the 429 were skipped
    assert caught.value.retry_after == 1.0
    assert "Public rate limit exceeded" in caught.value.message


async def test_a_rate_limit_after_some_prices_keeps_them(http: respx.MockRouter) -> None:
    http.get(TICKER.format("BTC-USD")).mock(return_value=reply(200, ticker("97000")))
    limited = reply(429, '{"message":"Public rate limit exceeded"}', {"Retry-After": "3"})
    http.get(TICKER.format("ETH-USD")).mock(return_value=limited)
    source = make(concurrency=1)

    quotes = await source.fetch(["BTC", "ETH"])

    assert set(quotes) == {"BTC"}
    assert "rate limit" in source.last_rejected["ETH"]


@pytest.mark.parametrize("status", [401, 403])
async def test_access_refused_is_a_config_error(http: respx.MockRouter, status: int) -> None:
    route = http.get(TICKER.format("BTC-USD")).mock(return_value=reply(status, '{"message":"Forbidden"}'))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 1
    assert caught.value.config_error is True


async def test_server_errors_are_retried_then_succeed(http: respx.MockRouter) -> None:
    route = http.get(TICKER.format("BTC-USD")).mock(
        side_effect=[reply(503, "<html>Service Unavailable</html>"), reply(200, ticker("97000"))]
    )

    quotes = await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 2
    assert quotes["BTC"].price == 9700000000000


async def test_persistent_server_errors_give_up_after_exactly_attempts_calls(http: respx.MockRouter) -> None:
    route = http.get(TICKER.format("BTC-USD")).mock(return_value=reply(500, '{"message":"Internal Server Error"}'))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=4).fetch(["BTC"])

    assert route.call_count == 4
    assert caught.value.status == 500
    assert caught.value.message == "BTC-USD: Internal Server Error server error (gave up after 4 attempts)"


async def test_persistent_timeouts_give_up_after_exactly_attempts_calls(http: respx.MockRouter) -> None:
    route = http.get(TICKER.format("BTC-USD")).mock(side_effect=httpx.ReadTimeout("timed out"))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 3
    assert "timed out" in str(caught.value)


async def test_a_failure_of_one_product_among_priced_ones_is_a_rejection(http: respx.MockRouter) -> None:
    http.get(TICKER.format("BTC-USD")).mock(return_value=reply(200, ticker("97000")))
    http.get(TICKER.format("ETH-USD")).mock(side_effect=httpx.ConnectError("refused"))
    source = make(attempts=2)

    quotes = await source.fetch(["BTC", "ETH"])

    assert set(quotes) == {"BTC"}
    assert "ConnectError" in source.last_rejected["ETH"]


@pytest.mark.parametrize("body", ["<html>maintenance</html>", "[]"])
async def test_a_body_that_is_not_a_json_object_is_a_failure(http: respx.MockRouter, body: str) -> None:
    http.get(TICKER.format("BTC-USD")).mock(return_value=reply(200, body))

    with pytest.raises(PriceFetchError) as caught:
        await make().fetch(["BTC"])

    assert "not a JSON object" in caught.value.message


async def test_no_more_than_concurrency_requests_are_in_flight(http: respx.MockRouter) -> None:
    in_flight = 0
    peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return reply(200, ticker("1"))

    http.get(url__regex=r".*/products/.*/ticker").mock(side_effect=slow)
    symbols = [f"T{i}" for i in range(12)]

    quotes = await make(concurrency=3).fetch(symbols)

    assert set(quotes) == set(symbols)
    assert peak == 3


async def test_starts_are_paced(http: respx.MockRouter) -> None:
    http.get(url__regex=r".*/products/.*/ticker").mock(return_value=reply(200, ticker("1")))
    loop = asyncio.get_running_loop()
    started = loop.time()

    await make(concurrency=4, min_interval=0.02).fetch([f"T{i}" for i in range(6)])

    assert loop.time() - started >= 0.09  # five gaps of 20 ms between six starts


async def test_a_product_id_is_escaped_in_the_path(http: respx.MockRouter) -> None:
    route = http.get(DEFAULT_BASE_URL + "/products/A%2FB-USD/ticker").mock(return_value=reply(404, NOT_FOUND))

    await make(products={"AB": "A/B-USD"}).fetch(["AB"])

    assert route.call_count == 1
