"""CoinMarketCap source: what it asks for, how it drops symbols CMC refuses, and the clients it owns (respx stands in for CMC)."""

from __future__ import annotations

import httpx
import respx

from tests.services.price_service.sources.cmc_answers import (
    API_KEY,
    BTC,
    ETH,
    QUOTES_URL,
    error_body,
    make,
    ok_body,
    reply,
)


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


async def test_a_client_we_were_given_is_left_open() -> None:
    async with httpx.AsyncClient() as client:
        await make(client=client).close()
        assert not client.is_closed


