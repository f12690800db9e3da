"""CoinMarketCap by id (CMC_IDS): v2 answers `data` keyed by id, one object each; never mixed with symbols."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from services.price_service.sources.base import PriceFetchError
from services.price_service.sources.cmc import CoinMarketCapSource
from tests.services.price_service.sources.recorded import NOW, reply

QUOTES_URL = "https://pro-api.coinmarketcap.com/v2/cryptocurrency/quotes/latest"
API_KEY = "b54bcf4d-1bca-4e8e-9a24-22ff2c3d462c"
STATUS = {"timestamp": "2024-11-14T22:13:20.170Z", "error_code": 0, "error_message": None, "elapsed": 31, "credit_count": 1}


def coin(cmc_id: int, symbol: str, price: str, *, rank: int | None = 1, active: int = 1) -> str:
    return f"""{{"id": {cmc_id}, "name": "{symbol} coin", "symbol": "{symbol}", "slug": "{symbol.lower()}-coin",
      "is_active": {active}, "cmc_rank": {"null" if rank is None else rank}, "is_fiat": 0,
      "last_updated": "2024-11-14T22:12:00.000Z",
      "quote": {{"USD": {{"price": {price}, "volume_24h": 93836406135.17474,
                          "last_updated": "2024-11-14T22:12:00.000Z"}}}}}}"""


def by_id(entries: dict[str, str]) -> str:
    data = ", ".join(f'"{key}": {value}' for key, value in entries.items())
    return f'{{"status": {json.dumps(STATUS)}, "data": {{{data}}}}}'


def by_symbol(entries: dict[str, str]) -> str:
    data = ", ".join(f'"{key}": [{value}]' for key, value in entries.items())
    return f'{{"status": {json.dumps(STATUS)}, "data": {{{data}}}}}'


def error(code: int, message: str) -> str:
    return json.dumps({"status": {**STATUS, "error_code": code, "error_message": message}})


def make(**kwargs) -> CoinMarketCapSource:  # type: ignore[no-untyped-def]
    kwargs.setdefault("backoff", 0.001)
    kwargs.setdefault("clock", lambda: NOW)
    return CoinMarketCapSource(API_KEY, **kwargs)


async def test_symbols_with_ids_are_asked_for_by_id_in_one_request(http: respx.MockRouter) -> None:
    route = http.get(QUOTES_URL).mock(
        return_value=reply(200, by_id({"1": coin(1, "BTC", "97123.456789123"), "1027": coin(1027, "ETH", "3172.05")}))
    )

    quotes = await make(ids={"BTC": 1, "eth": "1027"}).fetch(["BTC", "ETH"])

    assert route.call_count == 1
    assert dict(route.calls.last.request.url.params) == {"id": "1,1027", "convert": "USD"}
    assert quotes["BTC"].price == 9712345678912
    assert quotes["ETH"].price == 317205000000
    assert quotes["ETH"].timestamp == 1731622320


async def test_ids_and_symbols_take_two_requests_because_cmc_refuses_them_mixed(http: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert not ("id" in params and "symbol" in params)
        if "id" in params:
            return reply(200, by_id({"1": coin(1, "BTC", "97000")}))
        return reply(200, by_symbol({"SOL": coin(5426, "SOL", "190.5", rank=5)}))

    route = http.get(QUOTES_URL).mock(side_effect=answer)

    quotes = await make(ids={"BTC": 1}).fetch(["BTC", "SOL"])

    assert route.call_count == 2
    assert set(quotes) == {"BTC", "SOL"}
    assert [dict(c.request.url.params) for c in route.calls] == [
        {"id": "1", "convert": "USD"}, {"symbol": "SOL", "convert": "USD"},
    ]


async def test_an_id_names_its_coin_even_when_a_better_ranked_coin_shares_the_ticker(http: respx.MockRouter) -> None:
    http.get(QUOTES_URL).mock(return_value=reply(200, by_id({"29991": coin(29991, "ETH", "0.0009912", rank=3120)})))

    quotes = await make(ids={"ETH": 29991}).fetch(["ETH"])

    assert quotes["ETH"].price == 99120


async def test_an_unknown_id_is_dropped_and_the_rest_still_priced(http: respx.MockRouter) -> None:
    route = http.get(QUOTES_URL).mock(
        side_effect=[
            reply(400, error(400, 'Invalid value for "id": "99999999"')),
            reply(200, by_id({"1": coin(1, "BTC", "97000")})),
        ]
    )
    source = make(ids={"BTC": 1, "FOOZ": 99999999})

    quotes = await source.fetch(["BTC", "FOOZ"])

    assert set(quotes) == {"BTC"}
    assert route.calls.last.request.url.params["id"] == "1"
    assert source.last_rejected["FOOZ"] == "unknown to CoinMarketCap (id 99999999)"


@pytest.mark.parametrize(
    ("entry", "reason"),
    [(None, "not in response"), (coin(2, "OLD", "1", active=0), "inactive listing"), ('"x"', "unexpected data shape")],
)
async def test_unusable_id_entries_are_rejected_with_a_reason(
    http: respx.MockRouter, entry: str | None, reason: str
) -> None:
    entries = {"1": coin(1, "BTC", "97000")} | ({"2": entry} if entry else {})
    http.get(QUOTES_URL).mock(return_value=reply(200, by_id(entries)))
    source = make(ids={"BTC": 1, "OLD": 2})

    quotes = await source.fetch(["BTC", "OLD"])

    assert set(quotes) == {"BTC"}
    assert source.last_rejected["OLD"] == reason


async def test_a_one_element_list_per_id_is_accepted(http: respx.MockRouter) -> None:
    http.get(QUOTES_URL).mock(return_value=reply(200, by_symbol({"1": coin(1, "BTC", "97000")})))

    assert (await make(ids={"BTC": 1}).fetch(["BTC"]))["BTC"].price == 9700000000000


async def test_a_failed_id_request_fails_the_whole_fetch(http: respx.MockRouter) -> None:
    route = http.get(QUOTES_URL).mock(return_value=reply(401, error(1001, "This API Key is invalid.")))

    with pytest.raises(PriceFetchError) as caught:
        await make(ids={"BTC": 1}).fetch(["BTC", "SOL"])

    assert route.call_count == 1
    assert caught.value.config_error is True


@pytest.mark.parametrize("bad", ["abc", 0, -1, True, "1.5"])
def test_an_id_that_is_not_a_positive_whole_number_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="CMC_IDS"):
        make(ids={"BTC": bad})
