"""Coinbase Exchange public product ticker: one request per product, a few at a time, no key.

`GET {base}/products/BTC-USD/ticker` answers
`{"ask": "97010.01", "bid": "97010", "volume": "...", "trade_id": 7330, "price": "97010.01",
"size": "0.001", "time": "2024-11-14T22:13:39.123456Z", ...}`.

- The price is `price`, the last trade's price; the timestamp is `time`, when that trade
  happened, so a market nobody trades in shows up as stale instead of current.
- The Exchange API has no ticker for several products at once, so each product is one
  request: at most `concurrency` in flight and starts paced `min_interval` apart, under
  Coinbase's public limit of about 10 requests a second per address. After a 429 the
  products not yet asked are skipped for this cycle.
- A product Coinbase does not list (404 `{"message": "NotFound"}`) is rejected on its own.
  When every product fails for another reason (rate limit, server errors, timeouts) the fetch
  fails as a whole; when only some do, they are rejected with the reason (`last_rejected`).
- USDC has no USDC-USD book: on Coinbase USD and USDC share one order book (BTC-USDC is an
  alias of BTC-USD), so USDC is not priced here unless COINBASE_PRODUCTS names a product.

Products: COINBASE_PRODUCTS (`BTC=BTC-USD`) over the default `<SYMBOL>-USD`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from services.price_service.sources.base import PriceFetchError, Quote
from services.price_service.sources.transport import HttpPriceSource, TransportFailure
from services.price_service.sources.wire import iso_to_unix, normalise_symbols, parse_json, price_units
from shared.http import retry_after_seconds

SOURCE = "coinbase"
DEFAULT_BASE_URL = "https://api.exchange.coinbase.com"
QUOTE_CURRENCY = "USD"
NO_USD_MARKET: dict[str, str] = {
    "USDC": "Coinbase has no USDC-USD market: USD and USDC share one order book (set COINBASE_PRODUCTS)",
}
UNLISTED_STATUS = frozenset({400, 404})
CONFIG_STATUS = frozenset({401, 403})
DEFAULT_RATE_LIMIT_WAIT = 1.0  # no Retry-After from Coinbase; its public limits are per second
DEFAULT_CONCURRENCY = 4
DEFAULT_MIN_INTERVAL = 0.125  # at most 8 starts a second

_Outcome = Quote | tuple[str, PriceFetchError | None]  # a quote, or why not and the error behind it


def default_product(symbol: str) -> str | None:
    return None if symbol in NO_USD_MARKET else f"{symbol}-{QUOTE_CURRENCY}"


class CoinbaseSource(HttpPriceSource):
    name = SOURCE

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        products: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        attempts: int = 3,
        backoff: float = 0.5,
        timeout: float = 10.0,
        concurrency: int = DEFAULT_CONCURRENCY,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._products = {s.upper(): p.upper() for s, p in (products or {}).items()}
        super().__init__(client, attempts=attempts, backoff=backoff, timeout=timeout, clock=clock)
        self._gate = asyncio.Semaphore(max(1, concurrency))
        self._min_interval = max(0.0, min_interval)
        self._pace_lock = asyncio.Lock()
        self._next_start = 0.0
        self._rate_limited = False

    def __repr__(self) -> str:
        return f"CoinbaseSource(base_url={self._base_url!r})"

    async def fetch(self, symbols: list[str]) -> dict[str, Quote]:
        self.last_rejected = {}
        self._rate_limited = False
        products: dict[str, str] = {}
        for symbol in normalise_symbols(symbols):
            product = self._products.get(symbol) or default_product(symbol)
            if product is None:
                self.last_rejected[symbol] = NO_USD_MARKET[symbol]
            else:
                products[symbol] = product
        outcomes = await asyncio.gather(*(self._paced(symbol, product) for symbol, product in products.items()))
        quotes: dict[str, Quote] = {}
        errors: list[PriceFetchError] = []
        for symbol, outcome in zip(products, outcomes, strict=True):
            if isinstance(outcome, Quote):
                quotes[symbol] = outcome
                continue
            self.last_rejected[symbol], error = outcome
            if error is not None:
                errors.append(error)
        if errors and not quotes:
            # Nothing priced and something systemic went wrong: fail as one request would.
            raise min(errors, key=lambda e: (not e.config_error, not e.retry_after))
        return quotes

    async def _paced(self, symbol: str, product: str) -> _Outcome:
        async with self._gate:
            async with self._pace_lock:
                wait = self._next_start - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._next_start = time.monotonic() + self._min_interval
            if self._rate_limited:
                return "skipped: Coinbase rate limited this cycle", None
            return await self._ticker(symbol, product)

    async def _ticker(self, symbol: str, product: str) -> _Outcome:
        url = f"{self._base_url}/products/{quote(product, safe='')}/ticker"
        try:
            response = await self._get(url)
        except TransportFailure as exc:
            status = exc.response.status_code if exc.response is not None else None
            detail = " ".join(part for part in (_message(exc.response), str(exc)) if part)
            error = PriceFetchError(SOURCE, f"{product}: {detail}", status=status)
            return error.message, error
        return self._read(symbol, product, response)

    def _read(self, symbol: str, product: str, response: httpx.Response) -> _Outcome:
        status = response.status_code
        body = parse_json(response.content)
        message = _message(response)
        if status in UNLISTED_STATUS:
            return f"Coinbase does not list {product} ({message or f'HTTP {status}'})", None
        if status == 429:
            self._rate_limited = True
            wait = retry_after_seconds(response.headers, self._clock())
            error = PriceFetchError(SOURCE, f"{product}: {message or 'rate limited'}", status=status,
                                    retry_after=DEFAULT_RATE_LIMIT_WAIT if wait is None else wait)
            return error.message, error
        if status in CONFIG_STATUS:
            error = PriceFetchError(SOURCE, f"{product}: {message or 'access refused (blocked address or region?)'}",
                                    status=status, config_error=True)
            return error.message, error
        if status != 200 or not isinstance(body, dict):
            error = PriceFetchError(SOURCE, f"{product}: {message or 'response is not a JSON object'}", status=status)
            return error.message, error
        try:
            price = price_units(body.get("price"))
        except ValueError as exc:
            return f"invalid price: {exc}", None
        timestamp = iso_to_unix(body.get("time")) or int(self._clock())
        return Quote(symbol=symbol, price=price, timestamp=timestamp, source=SOURCE)


def _message(response: httpx.Response | None) -> str:
    """Coinbase's error text, `{"message": "..."}`; empty when the body has none."""
    body: Any = parse_json(response.content) if response is not None else None
    text = body.get("message") if isinstance(body, dict) else None
    return text if isinstance(text, str) else ""
