"""Kraken's public Ticker against bodies shaped like its real answers (respx stands in for Kraken)."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from services.price_service.sources.base import PriceFetchError
from services.price_service.sources.kraken import DEFAULT_BASE_URL, KrakenSource
from tests.services.price_service.sources.recorded import NOW, reply

TICKER_URL = f"{DEFAULT_BASE_URL}/0/public/Ticker"


def ticker(last: str) -> dict[str, object]:
    """One pair's ticker as Kraken sends it: every field a string or list of strings, no timestamp."""
    return {
        "a": ["97010.00000", "1", "1.000"],
        "b": ["97009.90000", "2", "2.000"],
        "c": [last, "0.00150000"],
        "v": ["1520.72813477", "2921.14541105"],
        "p": ["96544.41893", "96011.02372"],
        "t": [38121, 71532],
        "l": ["95500.00000", "94318.20000"],
        "h": ["97450.00000", "97450.00000"],
        "o": "95836.80000",
    }


def ok(result: dict[str, object]) -> str:
    return json.dumps({"error": [], "result": result})


def failed(*errors: str) -> str:
    return json.dumps({"error": list(errors)})


def make(**kwargs) -> KrakenSource:  # type: ignore[no-untyped-def]
    kwargs.setdefault("backoff", 0.001)
    kwargs.setdefault("clock", lambda: NOW)
    return KrakenSource(**kwargs)


async def test_one_request_for_all_pairs_matched_back_from_krakens_own_names(http: respx.MockRouter) -> None:
    body = ok({
        "XXBTZUSD": ticker("97000.10000"), "XETHZUSD": ticker("3172.05000"),
        "SOLUSD": ticker("190.1234567"), "USDTZUSD": ticker("1.00010000"), "XDGUSD": ticker("0.3500000"),
    })
    route = http.get(TICKER_URL).mock(return_value=reply(200, body))

    quotes = await make().fetch(["BTC", "eth", "SOL", "USDT", "DOGE"])

    assert route.call_count == 1
    assert route.calls.last.request.url.params["pair"] == "XBTUSD,ETHUSD,SOLUSD,USDTUSD,XDGUSD"
    assert quotes["BTC"].price == 9700010000000
    assert quotes["ETH"].price == 317205000000
    assert quotes["SOL"].price == 19012345670
    assert quotes["USDT"].price == 100010000
    assert quotes["DOGE"].price == 35000000
    assert quotes["BTC"].source == "kraken"


async def test_the_timestamp_is_the_arrival_time_because_the_ticker_has_none(http: respx.MockRouter) -> None:
    http.get(TICKER_URL).mock(return_value=reply(200, ok({"XXBTZUSD": ticker("97000.1")})))

    quotes = await make().fetch(["BTC"])

    assert quotes["BTC"].timestamp == int(NOW)


async def test_configured_pairs_win_over_the_defaults(http: respx.MockRouter) -> None:
    route = http.get(TICKER_URL).mock(return_value=reply(200, ok({"WBTCUSD": ticker("96990")})))

    quotes = await make(pairs={"btc": "wbtcusd"}).fetch(["BTC"])

    assert route.calls.last.request.url.params["pair"] == "WBTCUSD"
    assert quotes["BTC"].price == 9699000000000


async def test_a_single_pair_under_an_unexpected_key_is_still_matched(http: respx.MockRouter) -> None:
    http.get(TICKER_URL).mock(return_value=reply(200, ok({"XXDGZUSD": ticker("0.35")})))

    quotes = await make().fetch(["DOGE"])

    assert quotes["DOGE"].price == 35000000


async def test_a_pair_missing_from_the_answer_is_rejected_not_guessed(http: respx.MockRouter) -> None:
    body = ok({"XXBTZUSD": ticker("97000"), "OTHERUSD": ticker("5"), "MOREUSD": ticker("6")})
    http.get(TICKER_URL).mock(return_value=reply(200, body))
    source = make()

    quotes = await source.fetch(["BTC", "SOL", "ADA"])

    assert set(quotes) == {"BTC"}
    assert source.last_rejected == {"SOL": "pair SOLUSD not in response", "ADA": "pair ADAUSD not in response"}


async def test_an_unknown_pair_is_found_one_by_one_and_skipped_afterwards(http: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        pairs = request.url.params["pair"].split(",")
        if "FOOZUSD" in pairs:
            return reply(200, failed("EQuery:Unknown asset pair"))
        return reply(200, ok({{"XBTUSD": "XXBTZUSD", "ETHUSD": "XETHZUSD"}[p]: ticker("100") for p in pairs}))

    route = http.get(TICKER_URL).mock(side_effect=answer)
    source = make()

    quotes = await source.fetch(["BTC", "FOOZ", "ETH"])

    assert set(quotes) == {"BTC", "ETH"}
    assert "KRAKEN_PAIRS" in source.last_rejected["FOOZ"]
    assert route.call_count == 4  # the batch, then each of the three pairs alone
    route.reset()

    quotes = await source.fetch(["BTC", "FOOZ", "ETH"])

    assert set(quotes) == {"BTC", "ETH"}
    assert route.call_count == 1  # the unknown pair is no longer asked about
    assert route.calls.last.request.url.params["pair"] == "XBTUSD,ETHUSD"
    assert "KRAKEN_PAIRS" in source.last_rejected["FOOZ"]


async def test_warnings_are_not_errors(http: respx.MockRouter) -> None:
    body = json.dumps({"error": ["WGeneral:Deprecated endpoint"], "result": {"XXBTZUSD": ticker("97000")}})
    http.get(TICKER_URL).mock(return_value=reply(200, body))

    assert (await make().fetch(["BTC"]))["BTC"].price == 9700000000000


@pytest.mark.parametrize(
    ("last", "reason"),
    [('"abc"', "not a number"), ('"0.00000"', "not positive"), ("null", "missing"), ('"1e-9"', "zero")],
)
async def test_unusable_prices_are_left_out_with_a_reason(http: respx.MockRouter, last: str, reason: str) -> None:
    bad = ticker("1")
    bad["c"] = json.loads(f"[{last}, \"1\"]")
    http.get(TICKER_URL).mock(return_value=reply(200, ok({"XXBTZUSD": ticker("97000"), "SOLUSD": bad})))
    source = make()

    quotes = await source.fetch(["BTC", "SOL"])

    assert set(quotes) == {"BTC"}
    assert reason in source.last_rejected["SOL"]


async def test_an_exponent_price_string_is_exact(http: respx.MockRouter) -> None:
    http.get(TICKER_URL).mock(return_value=reply(200, ok({"PEPEUSD": ticker("1.23e-05")})))

    assert (await make().fetch(["PEPE"]))["PEPE"].price == 1230


@pytest.mark.parametrize("error", ["EGeneral:Too many requests", "EAPI:Rate limit exceeded"])
async def test_rate_limits_are_not_retried_and_say_when_to_return(http: respx.MockRouter, error: str) -> None:
    route = http.get(TICKER_URL).mock(return_value=reply(200, failed(error)))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 1
    assert caught.value.retry_after == 5.0
    assert error in caught.value.message


async def test_an_http_429_honours_retry_after(http: respx.MockRouter) -> None:
    http.get(TICKER_URL).mock(return_value=reply(429, "<html>Too Many Requests</html>", {"Retry-After": "12"}))

    with pytest.raises(PriceFetchError) as caught:
        await make().fetch(["BTC"])

    assert (caught.value.status, caught.value.retry_after) == (429, 12.0)


@pytest.mark.parametrize("status", [401, 403])
async def test_access_refused_is_a_config_error(http: respx.MockRouter, status: int) -> None:
    route = http.get(TICKER_URL).mock(return_value=reply(status, "<html>Access denied</html>"))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 1
    assert caught.value.config_error is True


async def test_other_kraken_errors_fail_the_fetch(http: respx.MockRouter) -> None:
    http.get(TICKER_URL).mock(return_value=reply(200, failed("EGeneral:Invalid arguments")))

    with pytest.raises(PriceFetchError) as caught:
        await make().fetch(["BTC"])

    assert caught.value.message == "EGeneral:Invalid arguments"
    assert caught.value.config_error is False


async def test_service_unavailable_is_retried_then_succeeds(http: respx.MockRouter) -> None:
    route = http.get(TICKER_URL).mock(
        side_effect=[reply(200, failed("EService:Unavailable")), reply(502, "<html>Bad Gateway</html>"),
                     reply(200, ok({"XXBTZUSD": ticker("97000")}))]
    )

    quotes = await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 3
    assert quotes["BTC"].price == 9700000000000


async def test_persistent_busy_gives_up_after_exactly_attempts_calls(http: respx.MockRouter) -> None:
    route = http.get(TICKER_URL).mock(return_value=reply(200, failed("EService:Busy")))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=4).fetch(["BTC"])

    assert route.call_count == 4
    assert "EService:Busy" in caught.value.message
    assert "gave up after 4 attempts" in caught.value.message


async def test_persistent_timeouts_give_up_after_exactly_attempts_calls(http: respx.MockRouter) -> None:
    route = http.get(TICKER_URL).mock(side_effect=httpx.ConnectTimeout("timed out"))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 3
    assert "timed out" in str(caught.value)


@pytest.mark.parametrize("body", ["<html>maintenance</html>", '{"error": []}', '{"error": [], "result": []}'])
async def test_a_body_without_a_result_object_is_a_failure(http: respx.MockRouter, body: str) -> None:
    http.get(TICKER_URL).mock(return_value=reply(200, body))

    with pytest.raises(PriceFetchError) as caught:
        await make().fetch(["BTC"])

    assert "no result object" in caught.value.message


async def test_a_rate_limit_while_finding_unknown_pairs_fails_the_fetch(http: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if "," in request.url.params["pair"]:
            return reply(200, failed("EQuery:Unknown asset pair"))
        return reply(200, failed("EGeneral:Too many requests"))

    http.get(TICKER_URL).mock(side_effect=answer)

    with pytest.raises(PriceFetchError) as caught:
        await make().fetch(["BTC", "FOOZ"])

    assert caught.value.retry_after == 5.0


async def test_a_base_url_can_point_elsewhere(http: respx.MockRouter) -> None:
    route = http.get("http://127.0.0.1:9001/0/public/Ticker").mock(return_value=reply(200, ok({"XXBTZUSD": ticker("1")})))

    await make(base_url="http://127.0.0.1:9001/").fetch(["BTC"])

    assert route.call_count == 1
