"""Real source clients against recorded-shape answers, through fetch_all and consensus.combine.

The issue's proofs at the unit level: two of three sources agreeing push and the outlier is
ignored; a single-source move under MIN_SOURCES=2 is not pushed; 50 assets across three
sources cost one request per source.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
import respx

from services.price_service.consensus import Agreed, NoPrice, Reason, combine
from services.price_service.sources import CoinGeckoSource, CoinMarketCapSource, KrakenSource, fetch_all
from services.price_service.sources.base import PriceSource
from services.price_service.sources.coingecko import BUILTIN_IDS
from tests.services.price_service.sources.recorded import NOW, reply

CMC_URL = "https://pro-api.coinmarketcap.com/v2/cryptocurrency/quotes/latest"
CG_URL = "https://pro-api.coingecko.com/api/v3/simple/price"
KRAKEN_URL = "https://api.kraken.com/0/public/Ticker"
CMC_TIME = "2024-11-14T22:13:00.000Z"
CG_TIME = 1731622380  # 22:13:00Z


def cmc_body(prices: dict[str, str]) -> str:
    data = {
        s: [{"id": i + 1, "symbol": s, "is_active": 1, "cmc_rank": i + 1, "last_updated": CMC_TIME,
             "quote": {"USD": {"price": f"__{s}__", "last_updated": CMC_TIME}}}]
        for i, s in enumerate(prices)
    }
    text = json.dumps({"status": {"timestamp": CMC_TIME, "error_code": 0, "error_message": None}, "data": data})
    for symbol, price in prices.items():
        text = text.replace(f'"__{symbol}__"', price)  # JSON numbers, as CMC sends them
    return text


def coingecko_body(prices: dict[str, str]) -> str:
    entries = (f'"{BUILTIN_IDS[s]}": {{"usd": {p}, "last_updated_at": {CG_TIME}}}' for s, p in prices.items())
    return "{" + ", ".join(entries) + "}"


def kraken_body(prices: dict[str, str]) -> str:
    names = {"BTC": "XXBTZUSD", "ETH": "XETHZUSD"}
    result = {names.get(s, f"{s}USD"): {"c": [p, "0.1"], "a": [p, "1", "1.000"], "b": [p, "1", "1.000"]}
              for s, p in prices.items()}
    return json.dumps({"error": [], "result": result})


@pytest.fixture
async def sources() -> AsyncIterator[list[PriceSource]]:
    built: list[PriceSource] = [
        CoinMarketCapSource("b54bcf4d-1bca-4e8e-9a24-22ff2c3d462c", clock=lambda: NOW),
        CoinGeckoSource("CG-q8Rz3vWm5Tn2Yk7Lp4Xa9Fb1", clock=lambda: NOW),
        KrakenSource(clock=lambda: NOW),
    ]
    yield built
    for source in built:
        await source.close()


def mock_all(http: respx.MockRouter, cmc: dict[str, str], cg: dict[str, str], kraken: dict[str, str]) -> list[respx.Route]:
    return [
        http.get(CMC_URL).mock(return_value=reply(200, cmc_body(cmc))),
        http.get(CG_URL).mock(return_value=reply(200, coingecko_body(cg))),
        http.get(KRAKEN_URL).mock(return_value=reply(200, kraken_body(kraken))),
    ]


async def decide(sources: list[PriceSource], symbols: list[str], min_sources: int = 2) -> dict[str, Agreed | NoPrice]:
    gathered = await fetch_all(sources, symbols)
    return combine(gathered.quotes, symbols=symbols, now=NOW, min_sources=min_sources,
                   max_spread_pct=Decimal("2"), max_age=300)


async def test_two_of_three_agree_and_the_outlier_source_is_ignored(
    http: respx.MockRouter, sources: list[PriceSource]
) -> None:
    mock_all(http, cmc={"BTC": "97000.5"}, cg={"BTC": "97100.25"}, kraken={"BTC": "120000.0"})

    outcome = (await decide(sources, ["BTC"]))["BTC"]

    assert isinstance(outcome, Agreed)
    assert outcome.price == 9705037500000  # (97000.5 + 97100.25) / 2
    assert outcome.used == ("cmc", "coingecko")
    assert outcome.ignored == {"kraken": "outlier"}
    assert outcome.observed_at == NOW - 40  # CMC's and CoinGecko's 22:13:00Z, not Kraken's arrival time


async def test_a_single_source_move_is_not_pushed_when_another_source_is_down(
    http: respx.MockRouter, sources: list[PriceSource]
) -> None:
    http.get(CMC_URL).mock(return_value=reply(200, cmc_body({"BTC": "77600"})))  # CMC alone says -20 %
    http.get(CG_URL).mock(return_value=reply(503, "<html>Service Unavailable</html>"))
    http.get(KRAKEN_URL).mock(return_value=reply(200, kraken_body({"BTC": "97000"})))
    await sources[1].close()
    sources[1] = CoinGeckoSource("CG-q8Rz3vWm5Tn2Yk7Lp4Xa9Fb1", attempts=1, clock=lambda: NOW)

    outcome = (await decide(sources, ["BTC"]))["BTC"]

    assert isinstance(outcome, NoPrice)
    assert outcome.reason is Reason.SOURCES_DISAGREE
    assert outcome.detail["missing"] == ["coingecko"]


async def test_fifty_assets_across_three_sources_cost_one_request_each(
    http: respx.MockRouter, sources: list[PriceSource]
) -> None:
    symbols = sorted(BUILTIN_IDS)[:40] + [f"X{i}" for i in range(10)]
    prices = {s: "1.5" for s in symbols}
    routes = mock_all(http, cmc=prices, cg={s: "1.5" for s in symbols if s in BUILTIN_IDS}, kraken=prices)

    outcomes = await decide(sources, symbols)

    assert [route.call_count for route in routes] == [1, 1, 1]
    assert len(symbols) == 50
    assert sum(isinstance(o, Agreed) for o in outcomes.values()) == 50


async def test_one_source_failing_entirely_leaves_two_that_still_push(
    http: respx.MockRouter, sources: list[PriceSource]
) -> None:
    http.get(CMC_URL).mock(return_value=reply(200, cmc_body({"ETH": "3400.10"})))
    http.get(CG_URL).mock(return_value=reply(200, coingecko_body({"ETH": "3400.30"})))
    http.get(KRAKEN_URL).mock(side_effect=httpx.ConnectError("refused"))

    gathered = await fetch_all(sources, ["ETH"])
    outcome = combine(gathered.quotes, now=NOW, min_sources=2, max_spread_pct=Decimal("2"), max_age=300)["ETH"]

    assert "kraken" in gathered.errors
    assert isinstance(outcome, Agreed) and outcome.price == 340020000000
    assert outcome.ignored == {"kraken": "no_quote"}
