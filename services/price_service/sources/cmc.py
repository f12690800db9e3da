"""CoinMarketCap Pro API v2 price source: every tracked asset in one request, prices kept exact.

Symbols with a CoinMarketCap id (CMC_IDS, `BTC=1,ETH=1027`) are asked for by `id=`, which names
exactly one coin; the rest by `symbol=`, where the best-ranked active listing wins. CMC refuses
`id` and `symbol` in the same request, so tracking both kinds costs two requests a cycle.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import httpx

from services.price_service.sources.base import PriceFetchError, Quote, to_price_units
from services.price_service.sources.transport import HttpPriceSource, TransportFailure, header_secret, json_headers
from services.price_service.sources.wire import as_decimal as _as_decimal
from services.price_service.sources.wire import iso_to_unix as _unix
from services.price_service.sources.wire import normalise_symbols, parse_json
from shared.http import retry_after_seconds

SOURCE = "cmc"
DEFAULT_BASE_URL = "https://pro-api.coinmarketcap.com"
QUOTES_PATH = "/v2/cryptocurrency/quotes/latest"
CONVERT = "USD"

# CMC error codes (status.error_code), see its "Errors and rate limits" guide.
KEY_OR_PLAN_CODES = frozenset({1001, 1002, 1003, 1004, 1005, 1006, 1007})
RATE_LIMIT_CODES = frozenset({1008, 1009, 1010, 1011})
DAILY_LIMIT_CODE = 1009
MONTHLY_LIMIT_CODE = 1010
CONFIG_STATUS = frozenset({401, 402, 403})
BAD_REQUEST_CODE = 400

# `Invalid value for "symbol": "FOO"`, `Invalid values for "symbol": "FOO,BAR"`, the same for "id".
_INVALID_VALUES = {
    key: re.compile(rf'Invalid values? for "{key}":\s*"([^"]*)"', re.IGNORECASE) for key in ("symbol", "id")
}


class CoinMarketCapSource(HttpPriceSource):
    name = SOURCE

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        client: httpx.AsyncClient | None = None,
        attempts: int = 3,
        backoff: float = 0.5,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        ids: Mapping[str, int | str] | None = None,
    ) -> None:
        key = api_key.strip()
        if not key:
            raise ValueError("CMC_API_KEY is empty")
        self._api_key = header_secret("CMC_API_KEY", key)
        self._base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        super().__init__(client, attempts=attempts, backoff=backoff, timeout=timeout, clock=clock)
        self._ids = {symbol.upper(): _checked_id(cmc_id) for symbol, cmc_id in (ids or {}).items()}

    def __repr__(self) -> str:
        return f"CoinMarketCapSource(base_url={self._base_url!r}, attempts={self._attempts})"

    async def fetch(self, symbols: list[str]) -> dict[str, Quote]:
        wanted = normalise_symbols(symbols)
        self.last_rejected = {}
        by_id = {symbol: self._ids[symbol] for symbol in wanted if symbol in self._ids}
        by_symbol = {symbol: symbol for symbol in wanted if symbol not in by_id}
        quotes: dict[str, Quote] = {}
        # CMC refuses `id` and `symbol` in one request: each kind tracked costs one request.
        if by_id:
            quotes.update(await self._fetch_by("id", by_id, _listing_by_id))
        if by_symbol:
            quotes.update(await self._fetch_by("symbol", by_symbol, _best_listing))
        return quotes

    async def _fetch_by(
        self, key: str, lookups: dict[str, str], pick: Callable[[Any], dict[str, Any] | str]
    ) -> dict[str, Quote]:
        body, invalid = await self._request_dropping_invalid(key, list(dict.fromkeys(lookups.values())))
        for symbol, value in lookups.items():
            if value in invalid:
                self.last_rejected[symbol] = "unknown to CoinMarketCap" + (f" (id {value})" if key == "id" else "")
        if body is None:
            return {}
        return self._quotes(body, {s: v for s, v in lookups.items() if v not in invalid}, pick)

    async def _request_dropping_invalid(self, key: str, values: list[str]) -> tuple[dict[str, Any] | None, set[str]]:
        """CMC fails the whole request for one unknown symbol or id; drop the named ones and ask once more."""
        try:
            return await self._request(key, values), set()
        except PriceFetchError as exc:
            invalid = self._invalid_values(exc, key, values)
            if not invalid:
                raise
        rest = [v for v in values if v not in invalid]
        return (await self._request(key, rest) if rest else None), invalid

    @staticmethod
    def _invalid_values(exc: PriceFetchError, key: str, values: list[str]) -> set[str]:
        if exc.status != 400 or exc.error_code != BAD_REQUEST_CODE:
            return set()
        match = _INVALID_VALUES[key].search(exc.message)
        if not match:
            return set()
        named = {part.strip().upper() for part in match.group(1).split(",") if part.strip()}
        return named & set(values)

    async def _request(self, key: str, values: list[str]) -> dict[str, Any]:
        params = {key: ",".join(values), "convert": CONVERT}
        headers = json_headers({"X-CMC_PRO_API_KEY": self._api_key.get_secret_value()})

        try:
            response = await self._get(self._base_url + QUOTES_PATH, params=params, headers=headers)
        except TransportFailure as exc:
            raise self._failed(exc) from None
        return self._checked_body(response)

    def _failed(self, exc: TransportFailure) -> PriceFetchError:
        if exc.response is None:
            return PriceFetchError(SOURCE, str(exc))
        code, message = _status_block(_parse(exc.response.content))
        detail = str(exc).removeprefix("server error ")
        return PriceFetchError(SOURCE, self._scrub(f"{message or 'server error'} {detail}"), status=exc.response.status_code,
                               error_code=code)

    def _checked_body(self, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        body = _parse(response.content)
        code, message = _status_block(body)
        if status == 429 or code in RATE_LIMIT_CODES:
            raise PriceFetchError(
                SOURCE,
                self._scrub(message or "rate limited"),
                status=status,
                error_code=code,
                retry_after=retry_after_seconds(response.headers, self._clock()) or self._retry_after(code),
            )
        if status in CONFIG_STATUS or code in KEY_OR_PLAN_CODES:
            raise PriceFetchError(
                SOURCE, self._scrub(message or "API key or plan rejected"), status=status, error_code=code, config_error=True
            )
        if status != 200 or code not in (0, None):
            raise PriceFetchError(SOURCE, self._scrub(message or "request rejected"), status=status, error_code=code)
        if body is None or not isinstance(body.get("data"), dict):
            raise PriceFetchError(SOURCE, "response has no data object", status=status, error_code=code)
        return body

    def _retry_after(self, code: int | None) -> float:
        """Seconds until CMC's limit window that was hit resets (minute unless the day or month ran out)."""
        now = self._clock()
        moment = datetime.fromtimestamp(now, tz=timezone.utc)
        if code == DAILY_LIMIT_CODE:
            next_reset = calendar.timegm((moment.year, moment.month, moment.day, 0, 0, 0)) + 86_400
        elif code == MONTHLY_LIMIT_CODE:
            year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
            next_reset = calendar.timegm((year, month, 1, 0, 0, 0))
        else:
            next_reset = (int(now) // 60 + 1) * 60
        return max(0.0, float(next_reset - now))

    def _quotes(
        self, body: dict[str, Any], lookups: dict[str, str], pick: Callable[[Any], dict[str, Any] | str]
    ) -> dict[str, Quote]:
        data = {str(key).upper(): value for key, value in body["data"].items()}
        fallback_time = _unix(_status(body).get("timestamp")) or int(self._clock())
        quotes: dict[str, Quote] = {}
        for symbol, value in lookups.items():
            coin = pick(data.get(value.upper()))
            if isinstance(coin, str):
                self.last_rejected[symbol] = coin
                continue
            usd = (coin.get("quote") or {}).get(CONVERT)
            if not isinstance(usd, dict) or usd.get("price") is None:
                self.last_rejected[symbol] = "missing price"
                continue
            try:
                price = to_price_units(_as_decimal(usd["price"]))
            except ValueError as exc:
                self.last_rejected[symbol] = f"invalid price: {exc}"
                continue
            timestamp = _unix(usd.get("last_updated")) or _unix(coin.get("last_updated")) or fallback_time
            quotes[symbol] = Quote(symbol=symbol, price=price, timestamp=timestamp, source=SOURCE)
        return quotes

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key.get_secret_value(), "***")


def _parse(content: bytes) -> dict[str, Any] | None:
    """Decimal for every JSON number with a fraction, so no price ever passes through float."""
    body = parse_json(content)
    return body if isinstance(body, dict) else None


def _status(body: dict[str, Any] | None) -> dict[str, Any]:
    status = (body or {}).get("status")
    return status if isinstance(status, dict) else {}


def _status_block(body: dict[str, Any] | None) -> tuple[int | None, str]:
    status = _status(body)
    code = status.get("error_code")
    code = int(code) if isinstance(code, int) or (isinstance(code, str) and code.isdigit()) else None
    message = status.get("error_message")
    return code, message if isinstance(message, str) else ""


def _best_listing(listings: Any) -> dict[str, Any] | str:
    """The coin the ticker means: the active listing with the best rank. A string says why there is none."""
    if listings is None:
        return "not in response"
    if isinstance(listings, dict):  # v1 shape: one object per symbol
        listings = [listings]
    if not isinstance(listings, list):
        return "unexpected data shape"
    active = [c for c in listings if isinstance(c, dict) and c.get("is_active") in (1, True)]
    if not active:
        return "no active listing"
    ranked = [c for c in active if isinstance(c.get("cmc_rank"), int) and not isinstance(c.get("cmc_rank"), bool)]
    if ranked:
        return min(ranked, key=lambda c: c["cmc_rank"])
    if len(active) == 1:
        return active[0]
    # Several unranked coins share the ticker: guessing could price the wrong asset.
    return "ambiguous: several unranked listings"


def _listing_by_id(listing: Any) -> dict[str, Any] | str:
    """The coin an id names: v2 sends one object per id (a one-element list is accepted too)."""
    if isinstance(listing, list) and len(listing) == 1:
        listing = listing[0]
    if listing is None:
        return "not in response"
    if not isinstance(listing, dict):
        return "unexpected data shape"
    if listing.get("is_active") in (0, False):
        return "inactive listing"
    return listing


def _checked_id(cmc_id: int | str) -> str:
    text = str(cmc_id).strip()
    if isinstance(cmc_id, bool) or not text.isdigit() or int(text) <= 0:
        raise ValueError("CMC_IDS: an id must be a positive whole number")
    return str(int(text))
