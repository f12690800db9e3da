"""CoinMarketCap source: error answers, rate limits and retries, and the API key kept out of every error (respx stands in for CMC)."""

from __future__ import annotations

import httpx
import pytest
import respx

from services.price_service.sources import PriceFetchError
from tests.services.price_service.sources.cmc_answers import (
    API_KEY,
    BTC,
    NOW,
    QUOTES_URL,
    error_body,
    make,
    ok_body,
    reply,
)


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


async def test_other_bad_requests_fail_without_a_second_try(cmc: respx.MockRouter) -> None:
    route = cmc.get(QUOTES_URL).mock(return_value=reply(400, error_body(400, '"convert" must be a valid fiat or crypto')))

    with pytest.raises(PriceFetchError) as caught:
        await make().fetch(["BTC"])

    assert route.call_count == 1
    assert caught.value.error_code == 400


async def test_api_key_never_appears_in_errors_or_repr(cmc: respx.MockRouter) -> None:
    # Even if CMC echoed the key back, it must not reach an exception.
    cmc.get(QUOTES_URL).mock(return_value=reply(401, error_body(1001, f"This API Key is invalid: {API_KEY}")))
    source = make()

    with pytest.raises(PriceFetchError) as caught:
        await source.fetch(["BTC"])

    for text in (str(caught.value), repr(caught.value), caught.value.message, repr(source)):
        assert API_KEY not in text
    assert "\n" not in str(caught.value)
