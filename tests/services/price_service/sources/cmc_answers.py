"""Shared by the CoinMarketCap source tests: bodies shaped like the real Pro API v2 answers, and the source under test."""

from __future__ import annotations

import json

import httpx

from services.price_service.sources import CoinMarketCapSource

BASE_URL = "https://pro-api.coinmarketcap.com"
QUOTES_URL = f"{BASE_URL}/v2/cryptocurrency/quotes/latest"
API_KEY = "b54bcf4d-1bca-4e8e-9a24-22ff2c3d462c"
NOW = 1_731_622_420.0  # 2024-11-14T22:13:40Z, 40 s into its minute


def coin(
    id: int,
    name: str,
    symbol: str,
    slug: str,
    *,
    rank: int | None,
    price: str,
    active: int = 1,
    last_updated: str = "2024-11-14T22:12:00.000Z",
) -> str:
    """One listing as CMC sends it; `price` is the raw JSON literal so long decimals reach the parser intact."""
    return f"""{{
      "id": {id}, "name": "{name}", "symbol": "{symbol}", "slug": "{slug}",
      "num_market_pairs": 11814, "date_added": "2013-04-28T00:00:00.000Z",
      "tags": [{{"slug": "mineable", "name": "Mineable", "category": "OTHERS"}}],
      "max_supply": 21000000, "circulating_supply": 19785234, "total_supply": 19785234,
      "is_active": {active}, "infinite_supply": false, "platform": null,
      "cmc_rank": {"null" if rank is None else rank}, "is_fiat": 0,
      "self_reported_circulating_supply": null, "self_reported_market_cap": null, "tvl_ratio": null,
      "last_updated": "{last_updated}",
      "quote": {{"USD": {{
        "price": {price}, "volume_24h": 93836406135.17474, "volume_change_24h": 12.4851,
        "percent_change_1h": -0.35287426, "percent_change_24h": 3.62145841, "percent_change_7d": 20.05123957,
        "percent_change_30d": 36.11254398, "percent_change_60d": 55.4612512, "percent_change_90d": 53.96481133,
        "market_cap": 1732541281432.8577, "market_cap_dominance": 59.7913, "fully_diluted_market_cap": 1838980937634.45,
        "tvl": null, "last_updated": "{last_updated}"
      }}}}
    }}"""


def ok_body(data: dict[str, list[str]]) -> str:
    entries = ",\n".join(f'"{key}": [{", ".join(coins)}]' for key, coins in data.items())
    return f"""{{
      "status": {{"timestamp": "2024-11-14T22:13:20.170Z", "error_code": 0, "error_message": null,
                 "elapsed": 37, "credit_count": 1, "notice": null}},
      "data": {{{entries}}}
    }}"""


def error_body(code: int, message: str) -> str:
    return json.dumps(
        {
            "status": {
                "timestamp": "2024-11-14T22:13:20.170Z",
                "error_code": code,
                "error_message": message,
                "elapsed": 0,
                "credit_count": 0,
            }
        }
    )


def reply(status: int, text: str) -> httpx.Response:
    return httpx.Response(status, content=text.encode(), headers={"Content-Type": "application/json"})


BTC = coin(1, "Bitcoin", "BTC", "bitcoin", rank=1, price="97123.456789123")
ETH = coin(1027, "Ethereum", "ETH", "ethereum", rank=2, price="3172.0499999999997")


def make(**kwargs) -> CoinMarketCapSource:  # type: ignore[no-untyped-def]
    kwargs.setdefault("backoff", 0.001)
    kwargs.setdefault("clock", lambda: NOW)
    return CoinMarketCapSource(API_KEY, BASE_URL, **kwargs)
