"""Shared by the CoinGecko source tests: its URLs, a /simple/price answer as CoinGecko sends it, and the source under test."""

from __future__ import annotations

import json

from services.price_service.sources.coingecko import DEMO_BASE_URL, PRO_BASE_URL, CoinGeckoSource
from tests.services.price_service.sources.recorded import NOW

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
