"""CoinGecko source: error answers, rate limits and retries, and the key kept out of errors, reprs and logs."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from services.price_service.sources.base import PriceFetchError
from services.price_service.sources.coingecko import CoinGeckoSource
from tests.services.price_service.sources.coingecko_answers import API_KEY, PRICES, PRO_URL, error_body, make
from tests.services.price_service.sources.recorded import reply


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (401, error_body(10002, "API Key Missing. Please make sure you're using the right authentication method."), 10002),
        (401, json.dumps({"error": {"status": {"error_code": 10002, "error_message": "API Key Missing"}}}), 10002),
        (401, error_body(10005, "This request is limited Pro API subscribers"), 10005),
        (403, "<html><body>error code: 1020</body></html>", None),
    ],
)
async def test_key_and_access_errors_are_config_errors_and_not_retried(
    http: respx.MockRouter, status: int, body: str, code: int | None
) -> None:
    route = http.get(PRO_URL).mock(return_value=reply(status, body))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 1
    assert caught.value.config_error is True
    assert (caught.value.status, caught.value.error_code) == (status, code)


async def test_a_key_sent_to_the_wrong_host_says_which_kind_to_set(http: respx.MockRouter) -> None:
    message = "If you are using Demo API key, please change your root URL from pro-api.coingecko.com to api.coingecko.com"
    http.get(PRO_URL).mock(return_value=reply(400, error_body(10011, message)))

    with pytest.raises(PriceFetchError) as caught:
        await make().fetch(["BTC"])

    assert caught.value.config_error is True
    assert "COINGECKO_KEY_KIND=demo" in caught.value.message


async def test_a_rate_limit_is_not_retried_and_honours_retry_after(http: respx.MockRouter) -> None:
    message = "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe."
    route = http.get(PRO_URL).mock(return_value=reply(429, error_body(429, message), {"retry-after": "119"}))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 1
    assert caught.value.retry_after == 119.0
    assert caught.value.config_error is False
    assert "exceeded the Rate Limit" in caught.value.message


@pytest.mark.parametrize(
    ("headers", "wait"),
    [({}, 60.0), ({"retry-after": "Thu, 14 Nov 2024 22:14:10 GMT"}, 30.0), ({"retry-after": "soon"}, 60.0)],
)
async def test_a_rate_limit_without_a_usable_retry_after_waits_a_minute(
    http: respx.MockRouter, headers: dict[str, str], wait: float
) -> None:
    http.get(PRO_URL).mock(return_value=reply(429, "<html>Too Many Requests</html>", headers))

    with pytest.raises(PriceFetchError) as caught:
        await make().fetch(["BTC"])

    assert caught.value.retry_after == pytest.approx(wait)


async def test_other_bad_requests_fail_plainly(http: respx.MockRouter) -> None:
    http.get(PRO_URL).mock(return_value=reply(400, '{"error": "Missing parameter vs_currencies"}'))

    with pytest.raises(PriceFetchError) as caught:
        await make().fetch(["BTC"])

    assert caught.value.config_error is False
    assert caught.value.message == "Missing parameter vs_currencies"


async def test_server_errors_are_retried_then_succeed(http: respx.MockRouter) -> None:
    route = http.get(PRO_URL).mock(side_effect=[reply(503, "<html>Service Unavailable</html>"), reply(200, PRICES)])

    quotes = await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 2
    assert quotes["BTC"].price == 9712345678912


async def test_persistent_server_errors_give_up_after_exactly_attempts_calls(http: respx.MockRouter) -> None:
    route = http.get(PRO_URL).mock(return_value=reply(500, error_body(500, "Internal Server Error")))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=4).fetch(["BTC"])

    assert route.call_count == 4
    assert caught.value.status == 500
    assert "gave up after 4 attempts" in caught.value.message


async def test_persistent_timeouts_give_up_after_exactly_attempts_calls(http: respx.MockRouter) -> None:
    route = http.get(PRO_URL).mock(side_effect=httpx.ReadTimeout("timed out"))

    with pytest.raises(PriceFetchError) as caught:
        await make(attempts=3).fetch(["BTC"])

    assert route.call_count == 3
    assert caught.value.status is None
    assert "timed out" in str(caught.value)


@pytest.mark.parametrize("body", ["<html>maintenance</html>", "", "[1, 2]"])
async def test_a_body_that_is_not_a_json_object_is_a_failure(http: respx.MockRouter, body: str) -> None:
    http.get(PRO_URL).mock(return_value=reply(200, body))

    with pytest.raises(PriceFetchError) as caught:
        await make().fetch(["BTC"])

    assert caught.value.status == 200
    assert "not a JSON object" in caught.value.message


async def test_the_key_never_appears_in_errors_reprs_or_logs(
    http: respx.MockRouter, all_logs: pytest.LogCaptureFixture
) -> None:
    # Even if CoinGecko echoed the key back, it must not reach an exception or a log line.
    http.get(PRO_URL).mock(
        side_effect=[
            reply(401, error_body(10002, f"Invalid key {API_KEY}")),
            reply(503, error_body(503, f"down for {API_KEY}")),
            reply(503, error_body(503, f"down for {API_KEY}")),
        ]
    )
    source = make(attempts=2)
    errors = []
    for _ in range(2):
        with pytest.raises(PriceFetchError) as caught:
            await source.fetch(["BTC"])
        errors.append(caught.value)

    texts = [str(e) for e in errors] + [repr(e) for e in errors] + [repr(source)]
    texts += [record.getMessage() for record in all_logs.records]
    assert all(API_KEY not in text for text in texts)
    assert "***" in errors[0].message and "***" in errors[1].message


def test_a_key_with_characters_illegal_in_a_header_is_refused_without_echo() -> None:
    with pytest.raises(ValueError) as caught:
        CoinGeckoSource("bad key\n")
    assert "bad key" not in str(caught.value)
