"""CoinGecko `/simple/price`: every tracked asset in one request, by CoinGecko id, prices kept exact.

Keys: a Pro key goes to https://pro-api.coingecko.com/api/v3 as `x-cg-pro-api-key`; a Demo key
goes to https://api.coingecko.com/api/v3 as `x-cg-demo-api-key`. CoinGecko refuses a key sent to
the other kind's host (error codes 10010/10011), so with key kind `demo` the default Pro base URL
is swapped for the public one; a base URL set explicitly is kept as given.

Tickers collide (many coins call themselves ETH), so a symbol is priced only through an id:
COINGECKO_IDS first, then the built-in ids below. A symbol with neither is rejected with a
reason (`last_rejected`), never guessed. An id CoinGecko does not know is simply absent from
its answer, and is rejected the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

import httpx

from services.price_service.sources.base import PriceFetchError, Quote
from services.price_service.sources.transport import HttpPriceSource, TransportFailure, header_secret, json_headers
from services.price_service.sources.wire import normalise_symbols, parse_json, price_units, unix_seconds
from shared.http import retry_after_seconds

SOURCE = "coingecko"
PRO_BASE_URL = "https://pro-api.coingecko.com/api/v3"
DEMO_BASE_URL = "https://api.coingecko.com/api/v3"
PRICE_PATH = "/simple/price"
VS_CURRENCY = "usd"
KEY_HEADERS = {"pro": "x-cg-pro-api-key", "demo": "x-cg-demo-api-key"}
KeyKind = Literal["pro", "demo"]

# CoinGecko's own codes (status.error_code): key missing, plan restricted, key sent to the wrong host.
KEY_ERROR_CODES = frozenset({10002, 10005, 10010, 10011})
WRONG_HOST_HINTS = {10010: "a Pro key needs COINGECKO_KEY_KIND=pro", 10011: "a Demo key needs COINGECKO_KEY_KIND=demo"}
CONFIG_STATUS = frozenset({401, 403})
RATE_LIMITED = 429
# Without a Retry-After header: CoinGecko's limits are per minute.
DEFAULT_RATE_LIMIT_WAIT = 60.0

# Ids for common symbols; COINGECKO_IDS overrides or extends them. Ambiguous tickers (FRAX
# after its rebrand, for one) are left out on purpose.
BUILTIN_IDS: dict[str, str] = {
    "BTC": "bitcoin", "WBTC": "wrapped-bitcoin", "ETH": "ethereum", "WETH": "weth", "STETH": "staked-ether",
    "SOL": "solana", "BNB": "binancecoin", "XRP": "ripple", "ADA": "cardano", "DOGE": "dogecoin",
    "AVAX": "avalanche-2", "DOT": "polkadot", "ATOM": "cosmos", "LTC": "litecoin", "LINK": "chainlink",
    "AAVE": "aave", "UNI": "uniswap", "ARB": "arbitrum", "OP": "optimism", "MATIC": "matic-network",
    "POL": "polygon-ecosystem-token", "TRX": "tron", "NEAR": "near", "APT": "aptos", "SUI": "sui",
    "MKR": "maker", "CRV": "curve-dao-token", "LDO": "lido-dao", "SHIB": "shiba-inu", "PEPE": "pepe",
    "TON": "the-open-network", "BCH": "bitcoin-cash", "XLM": "stellar", "FIL": "filecoin",
    "ETC": "ethereum-classic", "USDC": "usd-coin", "USDT": "tether", "DAI": "dai", "TUSD": "true-usd",
    "USDP": "paxos-standard", "PYUSD": "paypal-usd", "LUSD": "liquity-usd", "GUSD": "gemini-dollar",
    "FDUSD": "first-digital-usd", "USDE": "ethena-usde", "USDS": "usds",
}


def effective_base_url(key_kind: KeyKind, base_url: str | None) -> str:
    """The host a key of this kind must use: a Demo key never goes to the default Pro host."""
    url = (base_url or PRO_BASE_URL).rstrip("/")
    if key_kind == "demo" and url == PRO_BASE_URL:
        return DEMO_BASE_URL
    return url


class CoinGeckoSource(HttpPriceSource):
    name = SOURCE

    def __init__(
        self,
        api_key: str,
        *,
        key_kind: KeyKind = "pro",
        base_url: str | None = None,
        ids: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        attempts: int = 3,
        backoff: float = 0.5,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if key_kind not in KEY_HEADERS:
            raise ValueError("COINGECKO_KEY_KIND must be pro or demo")
        self._api_key = header_secret("COINGECKO_API_KEY", api_key)
        self._key_kind: KeyKind = key_kind
        self._base_url = effective_base_url(key_kind, base_url)
        self._ids = {**BUILTIN_IDS, **{s.upper(): i for s, i in (ids or {}).items()}}
        super().__init__(client, attempts=attempts, backoff=backoff, timeout=timeout, clock=clock)

    def __repr__(self) -> str:
        return f"CoinGeckoSource(base_url={self._base_url!r}, key_kind={self._key_kind!r})"

    async def fetch(self, symbols: list[str]) -> dict[str, Quote]:
        self.last_rejected = {}
        ids: dict[str, str] = {}
        for symbol in normalise_symbols(symbols):
            if symbol in self._ids:
                ids[symbol] = self._ids[symbol]
            else:
                self.last_rejected[symbol] = "no CoinGecko id for this symbol (set COINGECKO_IDS)"
        if not ids:
            return {}
        body = await self._request(list(dict.fromkeys(ids.values())))
        return self._quotes(body, ids, arrived_at=int(self._clock()))

    async def _request(self, coin_ids: list[str]) -> dict[str, Any]:
        params = {
            "ids": ",".join(coin_ids),
            "vs_currencies": VS_CURRENCY,
            "include_last_updated_at": "true",
            "precision": "full",  # otherwise CoinGecko rounds small prices to a few digits
        }
        key = self._api_key.get_secret_value()
        headers = json_headers({KEY_HEADERS[self._key_kind]: key} if key else None)
        try:
            response = await self._get(self._base_url + PRICE_PATH, params=params, headers=headers, retryable=_retryable)
        except TransportFailure as exc:
            raise self._failure(exc) from None
        return self._checked_body(response)

    def _failure(self, exc: TransportFailure) -> PriceFetchError:
        if exc.response is None:
            return PriceFetchError(SOURCE, self._scrub(str(exc)))
        code, message = _error_info(parse_json(exc.response.content))
        text = f"{message} {exc}" if message else str(exc)
        return PriceFetchError(SOURCE, self._scrub(text), status=exc.response.status_code, error_code=code)

    def _checked_body(self, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        body = parse_json(response.content)
        code, message = _error_info(body)
        if status == RATE_LIMITED or code == RATE_LIMITED:
            wait = retry_after_seconds(response.headers, self._clock())
            raise PriceFetchError(
                SOURCE, self._scrub(message or "rate limited"), status=status, error_code=code,
                retry_after=DEFAULT_RATE_LIMIT_WAIT if wait is None else wait,
            )
        if status in CONFIG_STATUS or code in KEY_ERROR_CODES:
            hint = WRONG_HOST_HINTS.get(code or 0)
            text = f"{message or 'API key or plan rejected'}{f' ({hint})' if hint else ''}"
            raise PriceFetchError(SOURCE, self._scrub(text), status=status, error_code=code, config_error=True)
        if status != 200 or code is not None or message:
            raise PriceFetchError(SOURCE, self._scrub(message or "request rejected"), status=status, error_code=code)
        if not isinstance(body, dict):
            raise PriceFetchError(SOURCE, "response is not a JSON object", status=status)
        return body

    def _quotes(self, body: dict[str, Any], ids: dict[str, str], arrived_at: int) -> dict[str, Quote]:
        quotes: dict[str, Quote] = {}
        for symbol, coin_id in ids.items():
            entry = body.get(coin_id)
            if not isinstance(entry, dict):
                self.last_rejected[symbol] = f"CoinGecko has no coin with id '{coin_id}'"
                continue
            try:
                price = price_units(entry.get(VS_CURRENCY))
            except ValueError as exc:
                self.last_rejected[symbol] = f"invalid price: {exc}"
                continue
            # last_updated_at is when CoinGecko last priced the coin; asked for, so nearly always there.
            timestamp = unix_seconds(entry.get("last_updated_at")) or arrived_at
            quotes[symbol] = Quote(symbol=symbol, price=price, timestamp=timestamp, source=SOURCE)
        return quotes

    def _scrub(self, text: str) -> str:
        key = self._api_key.get_secret_value()
        return text.replace(key, "***") if key else text


def _retryable(response: httpx.Response) -> bool:
    # 408 is CoinGecko's "request took too long": as worth a second try as a 5xx.
    return response.status_code >= 500 or response.status_code == 408


def _error_info(body: Any) -> tuple[int | None, str]:
    """(error_code, message) from any of CoinGecko's error shapes; (None, "") for a price answer.

    Seen: {"status": {"error_code": 429, "error_message": "..."}},
    {"error": {"status": {...}}} on some 401s, and {"error": "..."} on 400/404.
    """
    if not isinstance(body, dict):
        return None, ""
    error = body.get("error")
    if isinstance(error, str):
        return None, error
    status = error.get("status") if isinstance(error, dict) else body.get("status")
    if not isinstance(status, dict):
        return None, ""
    code = status.get("error_code", body.get("error_code"))
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    message = status.get("error_message")
    return code, message if isinstance(message, str) else ""
