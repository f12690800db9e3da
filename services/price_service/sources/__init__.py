"""Price sources: CoinMarketCap, CoinGecko, Coinbase and Kraken, and the seeded mock for development.

`make_sources(settings)` builds the ones PRICE_SOURCES names; `fetch_all` asks them together;
`services.price_service.consensus.combine` turns their quotes into one price per asset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from services.price_service.sources.base import PriceFetchError, PriceSource, Quote, to_price_units
from services.price_service.sources.cmc import DEFAULT_BASE_URL, CoinMarketCapSource
from services.price_service.sources.coinbase import CoinbaseSource
from services.price_service.sources.coingecko import CoinGeckoSource
from services.price_service.sources.gather import Gathered, fetch_all
from services.price_service.sources.kraken import KrakenSource
from services.price_service.sources.mock import MockPriceSource

if TYPE_CHECKING:
    from services.price_service.settings import PriceServiceSettings

__all__ = [
    "CoinGeckoSource",
    "CoinMarketCapSource",
    "CoinbaseSource",
    "Gathered",
    "KrakenSource",
    "MockPriceSource",
    "PriceFetchError",
    "PriceSource",
    "Quote",
    "fetch_all",
    "make_sources",
    "to_price_units",
]

def make_sources(settings: PriceServiceSettings) -> list[PriceSource]:
    """One source per name in `settings.source_names`, in that order (validated at start)."""
    return [_BUILDERS[name](settings) for name in settings.source_names]


def _cmc(s: PriceServiceSettings) -> PriceSource:
    return CoinMarketCapSource(s.cmc_api_key.get_secret_value(), s.cmc_base_url or DEFAULT_BASE_URL, ids=s.cmc_id_map)


def _coingecko(s: PriceServiceSettings) -> PriceSource:
    return CoinGeckoSource(
        s.coingecko_api_key.get_secret_value(), key_kind=s.coingecko_key_kind, base_url=s.coingecko_base_url,
        ids=s.coingecko_id_map,
    )


def _coinbase(s: PriceServiceSettings) -> PriceSource:
    return CoinbaseSource(s.coinbase_base_url, products=s.coinbase_product_map)


def _kraken(s: PriceServiceSettings) -> PriceSource:
    return KrakenSource(s.kraken_base_url, pairs=s.kraken_pair_map)


def _mock(s: PriceServiceSettings) -> PriceSource:
    return MockPriceSource(seed=s.mock_seed, crash_probability=s.mock_crash_probability, crash_bps=s.mock_crash_bps)


_BUILDERS: dict[str, Callable[[PriceServiceSettings], PriceSource]] = {
    "cmc": _cmc, "coingecko": _coingecko, "coinbase": _coinbase, "kraken": _kraken, "mock": _mock,
}
