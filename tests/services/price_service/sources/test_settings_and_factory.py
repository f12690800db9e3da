"""The issue-15 settings (README.md, Configuration), make_sources and fetch_all."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from services.price_service.settings import PriceServiceSettings
from services.price_service.sources import (
    CoinbaseSource,
    CoinGeckoSource,
    CoinMarketCapSource,
    KrakenSource,
    MockPriceSource,
    PriceFetchError,
    Quote,
    fetch_all,
    make_sources,
)
from services.price_service.sources.coingecko import DEMO_BASE_URL
from shared.settings import SettingsError, load_settings
from tests.conftest import TEST_API_KEY

CMC_KEY = "b54bcf4d-1bca-4e8e-9a24-22ff2c3d462c"
CG_KEY = "CG-q8Rz3vWm5Tn2Yk7Lp4Xa9Fb1"
NEW_NAMES = (
    "PRICE_SOURCES", "CMC_IDS", "COINGECKO_API_KEY", "COINGECKO_KEY_KIND", "COINGECKO_BASE_URL", "COINGECKO_IDS",
    "COINBASE_BASE_URL", "COINBASE_PRODUCTS", "KRAKEN_BASE_URL", "KRAKEN_PAIRS", "MIN_SOURCES", "MAX_SOURCE_SPREAD",
    "SOURCE_MAX_AGE",
)


@pytest.fixture(autouse=True)
def _no_source_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The suite-wide fixture predates these names; a developer's environment must not leak in.
    for name in NEW_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIQUIDATION_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("ENVIRONMENT", "development")
    yield


def load(**env: str) -> PriceServiceSettings:
    return load_settings(PriceServiceSettings, **{k.lower(): v for k, v in env.items()})


def refused(**env: str) -> str:
    with pytest.raises(SettingsError) as caught:
        load(**env)
    return str(caught.value)


def test_defaults_keep_the_first_release_meaning() -> None:
    settings = load()

    assert settings.price_sources == "cmc"
    assert settings.source_names == ["mock"]  # CMC_API_KEY empty: the mock, as before
    assert settings.uses_mock_source
    assert settings.required_sources == 1
    assert settings.max_source_spread == Decimal("2")
    assert settings.source_max_age == 300
    assert settings.coingecko_key_kind == "pro"
    assert settings.coingecko_base_url == "https://pro-api.coingecko.com/api/v3"
    assert settings.coinbase_base_url == "https://api.exchange.coinbase.com"
    assert settings.kraken_base_url == "https://api.kraken.com"
    assert (settings.cmc_id_map, settings.coingecko_id_map, settings.coinbase_product_map, settings.kraken_pair_map) == (
        {}, {}, {}, {},
    )


@pytest.mark.parametrize("key", ["", "mock", " MoCk "])
def test_cmc_alone_with_an_empty_or_mock_key_is_the_mock(key: str) -> None:
    assert load(PRICE_SOURCES="cmc", CMC_API_KEY=key).source_names == ["mock"]


def test_cmc_alone_with_a_real_key_is_cmc() -> None:
    assert load(CMC_API_KEY=CMC_KEY).source_names == ["cmc"]


def test_several_sources_are_normalised_and_require_two_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRICE_SOURCES", " CMC, coingecko ,Kraken ")
    monkeypatch.setenv("CMC_API_KEY", CMC_KEY)
    monkeypatch.setenv("COINGECKO_API_KEY", CG_KEY)

    settings = load_settings(PriceServiceSettings)

    assert settings.source_names == ["cmc", "coingecko", "kraken"]
    assert settings.required_sources == 2


def test_min_sources_empty_means_the_default_and_a_number_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIN_SOURCES", "")
    assert load_settings(PriceServiceSettings, price_sources="kraken,coinbase").required_sources == 2
    monkeypatch.setenv("MIN_SOURCES", "1")
    assert load_settings(PriceServiceSettings, price_sources="kraken,coinbase").required_sources == 1


def test_spread_and_age_read_from_the_environment_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_SOURCE_SPREAD", "0.1")
    monkeypatch.setenv("SOURCE_MAX_AGE", "90.5")

    settings = load_settings(PriceServiceSettings)

    assert settings.max_source_spread == Decimal("0.1")
    assert settings.source_max_age == 90.5


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"PRICE_SOURCES": "cmc,binance"}, ("PRICE_SOURCES", "binance", "coingecko")),
        ({"PRICE_SOURCES": "kraken,KRAKEN"}, ("PRICE_SOURCES", "twice")),
        ({"PRICE_SOURCES": " , "}, ("PRICE_SOURCES",)),
        ({"PRICE_SOURCES": "cmc,kraken"}, ("CMC_API_KEY", "required")),
        ({"PRICE_SOURCES": "cmc,kraken", "CMC_API_KEY": "mock"}, ("CMC_API_KEY",)),
        ({"PRICE_SOURCES": "coingecko"}, ("COINGECKO_API_KEY", "required")),
        (
            {"PRICE_SOURCES": "coingecko", "COINGECKO_API_KEY": "CHANGE_ME_coingecko_key"},
            ("COINGECKO_API_KEY", "placeholder"),
        ),
        ({"CMC_API_KEY": "CHANGE_ME_or_mock"}, ("CMC_API_KEY", "placeholder")),
        ({"PRICE_SOURCES": "kraken", "MIN_SOURCES": "2"}, ("MIN_SOURCES",)),
        ({"MIN_SOURCES": "0"}, ("MIN_SOURCES",)),
        ({"MAX_SOURCE_SPREAD": "0"}, ("MAX_SOURCE_SPREAD",)),
        ({"MAX_SOURCE_SPREAD": "two"}, ("MAX_SOURCE_SPREAD",)),
        ({"SOURCE_MAX_AGE": "-1"}, ("SOURCE_MAX_AGE",)),
        ({"COINGECKO_KEY_KIND": "free"}, ("COINGECKO_KEY_KIND",)),
        ({"CMC_IDS": "BTC=one"}, ("CMC_IDS", "positive whole number")),
        ({"CMC_IDS": "BTC"}, ("CMC_IDS", "SYMBOL=value")),
        ({"CMC_IDS": "BTC=1,btc=2"}, ("CMC_IDS", "twice")),
        ({"COINGECKO_IDS": "BTC=Bit Coin"}, ("COINGECKO_IDS",)),
        ({"COINGECKO_IDS": "B-TC=bitcoin"}, ("COINGECKO_IDS", "A-Z0-9")),
        ({"COINGECKO_IDS": "ABCDEFGHIJKLMNOP=x"}, ("COINGECKO_IDS", "1-15")),
        ({"COINBASE_PRODUCTS": "BTC=BTC-EUR"}, ("COINBASE_PRODUCTS", "USD")),
        ({"KRAKEN_PAIRS": "BTC=XBTEUR"}, ("KRAKEN_PAIRS", "USD")),
    ],
)
def test_bad_settings_stop_the_start_with_one_line_naming_the_setting(env: dict[str, str], names: tuple[str, ...]) -> None:
    message = refused(**env)

    assert "\n" not in message
    for name in names:
        assert name in message


def test_a_refused_coingecko_key_is_never_printed() -> None:
    message = refused(PRICE_SOURCES="coingecko", COINGECKO_API_KEY="CHANGE_ME_coingecko_key")

    assert "CHANGE_ME" not in message


def test_symbol_maps_are_normalised() -> None:
    settings = load(
        CMC_IDS=" btc = 1 , eth=1027", COINGECKO_IDS="BTC=Bitcoin,eth=ethereum", COINBASE_PRODUCTS="btc=btc-usd",
        KRAKEN_PAIRS="btc=xbtusd,doge=xdgusd",
    )

    assert settings.cmc_id_map == {"BTC": "1", "ETH": "1027"}
    assert settings.coingecko_id_map == {"BTC": "bitcoin", "ETH": "ethereum"}
    assert settings.coinbase_product_map == {"BTC": "BTC-USD"}
    assert settings.kraken_pair_map == {"BTC": "XBTUSD", "DOGE": "XDGUSD"}


def test_the_coingecko_key_is_masked_in_the_start_log() -> None:
    settings = load(PRICE_SOURCES="coingecko", COINGECKO_API_KEY=CG_KEY)

    assert settings.masked()["coingecko_api_key"] == "***"
    assert CG_KEY not in str(settings.masked())


# --- make_sources ----------------------------------------------------------------------------


async def test_make_sources_builds_each_listed_source_in_order() -> None:
    settings = load(
        PRICE_SOURCES="cmc,coingecko,coinbase,kraken,mock", CMC_API_KEY=CMC_KEY, COINGECKO_API_KEY=CG_KEY,
        COINGECKO_KEY_KIND="demo", CMC_IDS="BTC=1", KRAKEN_BASE_URL="http://127.0.0.1:9001",
    )

    sources = make_sources(settings)
    try:
        assert [type(s) for s in sources] == [CoinMarketCapSource, CoinGeckoSource, CoinbaseSource, KrakenSource,
                                               MockPriceSource]
        assert [s.name for s in sources] == ["cmc", "coingecko", "coinbase", "kraken", "mock"]
        assert DEMO_BASE_URL in repr(sources[1])  # a demo key with the default Pro URL goes to the public host
        assert "127.0.0.1:9001" in repr(sources[3])
    finally:
        for source in sources:
            await source.close()


def test_make_sources_defaults_to_the_mock_alone() -> None:
    sources = make_sources(load(MOCK_SEED="7"))

    assert len(sources) == 1 and isinstance(sources[0], MockPriceSource)


async def test_the_first_release_meaning_of_cmc_api_key_is_kept() -> None:
    for key in ("", " MoCk "):
        [mock] = make_sources(load(CMC_API_KEY=key))
        assert isinstance(mock, MockPriceSource)
    [real] = make_sources(load(CMC_API_KEY=CMC_KEY))
    assert isinstance(real, CoinMarketCapSource)
    await real.close()


# --- fetch_all -------------------------------------------------------------------------------


class FakeSource:
    def __init__(self, name: str, result: dict[str, Quote] | Exception, rejected: dict[str, str] | None = None) -> None:
        self.name = name
        self._result = result
        self.last_rejected = rejected or {}
        self.asked: list[list[str]] = []

    async def fetch(self, symbols: list[str]) -> dict[str, Quote]:
        self.asked.append(symbols)
        if isinstance(self._result, Exception):
            raise self._result
        return self._result

    async def close(self) -> None:
        return None


async def test_fetch_all_keeps_every_source_and_isolates_failures() -> None:
    btc = Quote("BTC", 9700000000000, 1, "a")
    sources: list[Any] = [
        FakeSource("a", {"BTC": btc}, {"FOOZ": "no id"}),
        FakeSource("b", PriceFetchError("b", "rate limited", status=429, retry_after=60)),
        FakeSource("c", RuntimeError("boom with secret-ish text")),
    ]

    gathered = await fetch_all(sources, ["BTC", "FOOZ"])

    assert gathered.quotes == {"a": {"BTC": btc}, "b": {}, "c": {}}
    assert gathered.errors["b"].retry_after == 60
    assert str(gathered.errors["c"]) == "c: unexpected RuntimeError"
    assert gathered.rejected == {"a": {"FOOZ": "no id"}}
    assert all(s.asked == [["BTC", "FOOZ"]] for s in sources)
