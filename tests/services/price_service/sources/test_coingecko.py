"""CoinGecko /simple/price against bodies shaped like its real answers (respx stands in for CoinGecko)."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from services.price_service.sources.base import PriceFetchError
from services.price_service.sources.coingecko import DEMO_BASE_URL, PRO_BASE_URL, CoinGeckoSource, effective_base_url
from tests.services.price_service.sources.recorded import NOW, reply

PRO_URL = f"{PRO_BASE_URL}/simple/price"
DEMO_URL = f"{DEMO_BASE_URL}/simple/price"
API_KEY = "CG-q8Rz3vWm5Tn2Yk7Lp4Xa9Fb1"

# /simple/price?ids=bitcoin,ethereum&vs_currencies=usd&include_last_updated_at=true, as CoinGecko answers.
PRICES = """{
  "bitcoin": {"usd": 97123.45678912, "last_updated_at": 1731622320},
  "ethereum": {"usd": 3172.0499999999997, "last_updated_at": 1731622311}
}"""


def make(**kwargs) -> CoinGeckoSource:  # type: ignore[no-untyped-def]
    kwargs.setdefault("backoff", 0.001)
    kwargs.setdefault("clock", lambda: NOW)
    return CoinGeckoSource(kwargs.pop("api_key", API_KEY), **kwargs)


def error_body(code: int, message: str) -> str:
    return json.dumps({"status": {"error_code": code, "error_message": message}})


async def test_one_request_for_all_symbols_with_the_pro_key_header(http: respx.MockRouter) -> None:
    route = http.get(PRO_URL).mock(return_value=reply(200, PRICES))

    quotes = await make().fetch(["btc", "ETH", "BTC"])

    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["x-cg-pro-api-key"] == API_KEY
    assert "x-cg-demo-api-key" not in request.headers
    assert request.headers["Accept"] == "application/json"
    assert dict(request.url.params) == {
        "ids": "bitcoin,ethereum", "vs_currencies": "usd", "include_last_updated_at": "true", "precision": "full",
    }
    assert quotes["BTC"].price == 9712345678912
    assert quotes["ETH"].price == 317205000000
    assert quotes["BTC"].timestamp == 1731622320  # last_updated_at, when CoinGecko priced it
    assert quotes["ETH"].source == "coingecko"


async def test_a_demo_key_uses_its_header_and_the_public_host(http: respx.MockRouter) -> None:
    route = http.get(DEMO_URL).mock(return_value=reply(200, PRICES))

    await make(key_kind="demo").fetch(["BTC"])

    assert route.calls.last.request.headers["x-cg-demo-api-key"] == API_KEY
    assert "x-cg-pro-api-key" not in route.calls.last.request.headers


def test_an_explicit_base_url_is_kept_for_either_kind() -> None:
    assert effective_base_url("demo", PRO_BASE_URL + "/") == DEMO_BASE_URL
    assert effective_base_url("pro", None) == PRO_BASE_URL
    assert effective_base_url("demo", "http://127.0.0.1:9000/api/v3/") == "http://127.0.0.1:9000/api/v3"


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


async def test_a_symbol_without_an_id_is_rejected_not_guessed(http: respx.MockRouter) -> None:
    route = http.get(PRO_URL).mock(return_value=reply(200, PRICES))
    source = make()

    quotes = await source.fetch(["BTC", "FOOZ"])

    assert set(quotes) == {"BTC"}
    assert route.calls.last.request.url.params["ids"] == "bitcoin"
    assert "COINGECKO_IDS" in source.last_rejected["FOOZ"]


async def test_only_unknown_symbols_send_no_request(http: respx.MockRouter) -> None:
    route = http.get(PRO_URL).mock(return_value=reply(200, "{}"))

    assert await make().fetch(["FOOZ"]) == {}
    assert route.call_count == 0


async def test_configured_ids_win_over_built_in_ones(http: respx.MockRouter) -> None:
    route = http.get(PRO_URL).mock(return_value=reply(200, '{"my-eth": {"usd": 1, "last_updated_at": 1731622320}}'))

    quotes = await make(ids={"eth": "my-eth"}).fetch(["ETH"])

    assert route.calls.last.request.url.params["ids"] == "my-eth"
    assert quotes["ETH"].price == 100000000


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


async def test_a_client_we_were_given_is_left_open() -> None:
    async with httpx.AsyncClient() as client:
        await make(client=client).close()
        assert not client.is_closed
