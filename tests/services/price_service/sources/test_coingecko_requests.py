"""CoinGecko source: which host, key header and ids it asks for, and the clients it owns (respx stands in for CoinGecko)."""

from __future__ import annotations

import httpx
import respx

from services.price_service.sources.coingecko import DEMO_BASE_URL, PRO_BASE_URL, effective_base_url
from tests.services.price_service.sources.coingecko_answers import API_KEY, DEMO_URL, PRICES, PRO_URL, make
from tests.services.price_service.sources.recorded import reply


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


async def test_a_client_we_were_given_is_left_open() -> None:
    async with httpx.AsyncClient() as client:
        await make(client=client).close()
        assert not client.is_closed
