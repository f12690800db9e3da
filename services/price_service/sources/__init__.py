"""Price sources: CoinMarketCap when a key is configured, the seeded mock otherwise."""

from __future__ import annotations

from pydantic import SecretStr

from services.price_service.sources.base import PriceFetchError, PriceSource, Quote, format_price_units, to_price_units
from services.price_service.sources.cmc import DEFAULT_BASE_URL, CoinMarketCapSource
from services.price_service.sources.mock import MockPriceSource

__all__ = [
    "CoinMarketCapSource",
    "MockPriceSource",
    "PriceFetchError",
    "PriceSource",
    "Quote",
    "format_price_units",
    "make_source",
    "to_price_units",
]

MOCK_KEY = "mock"


def make_source(
    cmc_api_key: str | SecretStr | None,
    cmc_base_url: str = DEFAULT_BASE_URL,
    *,
    seed: int = 42,
    crash_probability: float = 0.0,
    crash_bps: int = 2500,
) -> PriceSource:
    key = cmc_api_key.get_secret_value() if isinstance(cmc_api_key, SecretStr) else (cmc_api_key or "")
    key = key.strip()
    if not key or key.lower() == MOCK_KEY:
        return MockPriceSource(seed=seed, crash_probability=crash_probability, crash_bps=crash_bps)
    return CoinMarketCapSource(key, cmc_base_url or DEFAULT_BASE_URL)
