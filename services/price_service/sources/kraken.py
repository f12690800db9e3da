"""Kraken's public Ticker: every tracked asset in one request, no key, prices kept exact.

`GET {base}/0/public/Ticker?pair=XBTUSD,ETHUSD` answers
`{"error": [], "result": {"XXBTZUSD": {"c": ["97000.10000", "0.00100000"], ...}, ...}}`.

- The price is `c[0]`, the last trade's price, as the decimal string Kraken sends.
- Kraken answers under its own pair names (XBTUSD -> XXBTZUSD, ETHUSD -> XETHZUSD,
  USDTUSD -> USDTZUSD, SOLUSD -> SOLUSD), so each requested pair is matched to the result
  keys Kraken's naming can produce; a pair that matches none is rejected, not guessed.
- The ticker carries no timestamp: a quote's timestamp is when the answer arrived here. A
  Kraken quote therefore never looks stale; it still has to agree with the other sources.
- Errors come with HTTP 200 in `error` (`["EQuery:Unknown asset pair"]`); entries starting
  with W are warnings and ignored. One unknown pair fails the whole request without saying
  which one, so the pairs are then asked one at a time, and the unknown ones are left out of
  later requests for an hour: a typo costs one slow cycle, not one on every poll.

Pairs: KRAKEN_PAIRS (`BTC=XBTUSD`) over the built-in ones below, otherwise `<SYMBOL>USD`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from services.price_service.sources.base import PriceFetchError, Quote
from services.price_service.sources.transport import HttpPriceSource, TransportFailure
from services.price_service.sources.wire import normalise_symbols, parse_json, price_units
from shared.http import retry_after_seconds

SOURCE = "kraken"
DEFAULT_BASE_URL = "https://api.kraken.com"
TICKER_PATH = "/0/public/Ticker"
QUOTE_CURRENCY = "USD"
# Kraken's own names for assets whose ticker differs: XBT for bitcoin, XDG for dogecoin.
BUILTIN_PAIRS: dict[str, str] = {"BTC": "XBTUSD", "DOGE": "XDGUSD"}

UNKNOWN_PAIR = "EQuery:Unknown asset pair"
RATE_LIMIT_ERRORS = frozenset({"EAPI:Rate limit exceeded", "EGeneral:Too many requests", "EGeneral:Temporary lockout"})
RETRYABLE_ERRORS = frozenset({"EService:Unavailable", "EService:Busy", "EGeneral:Internal error"})
CONFIG_STATUS = frozenset({401, 403})
DEFAULT_RATE_LIMIT_WAIT = 5.0  # Kraken sends no Retry-After; its public limit is about one call a second
UNKNOWN_PAIR_RECHECK = 3600.0
ONE_BY_ONE_CONCURRENCY = 4


def default_pair(symbol: str) -> str:
    return BUILTIN_PAIRS.get(symbol, f"{symbol}{QUOTE_CURRENCY}")


class _UnknownPair(Exception):
    """Kraken refused the request for an unknown pair it did not name."""


class KrakenSource(HttpPriceSource):
    name = SOURCE

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        pairs: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        attempts: int = 3,
        backoff: float = 0.5,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._pairs = {s.upper(): p.upper() for s, p in (pairs or {}).items()}
        super().__init__(client, attempts=attempts, backoff=backoff, timeout=timeout, clock=clock)
        self._unknown_since: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"KrakenSource(base_url={self._base_url!r})"

    async def fetch(self, symbols: list[str]) -> dict[str, Quote]:
        self.last_rejected = {}
        pairs = self._pairs_for(normalise_symbols(symbols))
        if not pairs:
            return {}
        wanted = list(dict.fromkeys(pairs.values()))
        try:
            result, arrived = await self._ticker(wanted)
        except _UnknownPair:
            result, arrived = await self._one_by_one(wanted)
        return self._quotes(result, pairs, arrived)

    def _pairs_for(self, symbols: list[str]) -> dict[str, str]:
        now = self._clock()
        pairs: dict[str, str] = {}
        for symbol in symbols:
            pair = self._pairs.get(symbol) or default_pair(symbol)
            since = self._unknown_since.get(pair)
            if since is not None and now - since < UNKNOWN_PAIR_RECHECK:
                self.last_rejected[symbol] = f"Kraken does not know the pair {pair} (set KRAKEN_PAIRS)"
                continue
            pairs[symbol] = pair
        return pairs

    async def _ticker(self, pairs: list[str]) -> tuple[dict[str, Any], int]:
        try:
            response = await self._get(self._base_url + TICKER_PATH, params={"pair": ",".join(pairs)}, retryable=_retryable)
        except TransportFailure as exc:
            status = exc.response.status_code if exc.response is not None else None
            errors = _errors(parse_json(exc.response.content)) if exc.response is not None else []
            raise PriceFetchError(SOURCE, "; ".join([*errors, str(exc)]), status=status) from None
        return self._checked_result(response), int(self._clock())

    async def _one_by_one(self, pairs: list[str]) -> tuple[dict[str, Any], int]:
        """Each pair on its own, to find the unknown ones; other failures still fail the fetch."""
        gate = asyncio.Semaphore(ONE_BY_ONE_CONCURRENCY)

        async def one(pair: str) -> tuple[dict[str, Any], int] | None:
            async with gate:
                try:
                    return await self._ticker([pair])
                except _UnknownPair:
                    self._unknown_since[pair] = self._clock()
                    return None

        outcomes = await asyncio.gather(*(one(p) for p in pairs), return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            # A rate limit says when to come back: report it before any other failure.
            raise min(failures, key=lambda e: not (isinstance(e, PriceFetchError) and e.retry_after))
        answers = [o for o in outcomes if isinstance(o, tuple)]
        merged: dict[str, Any] = {}
        for result, _ in answers:
            merged.update(result)
        # The earliest arrival: a quote is never made to look newer than its answer.
        return merged, min((arrived for _, arrived in answers), default=int(self._clock()))

    def _checked_result(self, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        body = parse_json(response.content)
        errors = _errors(body)
        if status == 429 or RATE_LIMIT_ERRORS.intersection(errors):
            wait = retry_after_seconds(response.headers, self._clock())
            raise PriceFetchError(SOURCE, "; ".join(errors) or "rate limited", status=status,
                                  retry_after=DEFAULT_RATE_LIMIT_WAIT if wait is None else wait)
        if status in CONFIG_STATUS:
            raise PriceFetchError(SOURCE, "; ".join(errors) or "access refused (blocked address or region?)",
                                  status=status, config_error=True)
        if UNKNOWN_PAIR in errors:
            raise _UnknownPair()
        if errors or status != 200:
            raise PriceFetchError(SOURCE, "; ".join(errors) or "request rejected", status=status)
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict):
            raise PriceFetchError(SOURCE, "response has no result object", status=status)
        return result

    def _quotes(self, result: dict[str, Any], pairs: dict[str, str], arrived: int) -> dict[str, Quote]:
        entries = _match(result, list(dict.fromkeys(pairs.values())))
        quotes: dict[str, Quote] = {}
        for symbol, pair in pairs.items():
            if pair in self._unknown_since and pair not in entries:
                self.last_rejected[symbol] = f"Kraken does not know the pair {pair} (set KRAKEN_PAIRS)"
                continue
            entry = entries.get(pair)
            self._unknown_since.pop(pair, None)  # answered for again: listed after all
            if not isinstance(entry, dict):
                self.last_rejected[symbol] = f"pair {pair} not in response"
                continue
            last_trade = entry.get("c")
            try:
                price = price_units(last_trade[0] if isinstance(last_trade, list) and last_trade else None)
            except ValueError as exc:
                self.last_rejected[symbol] = f"invalid price: {exc}"
                continue
            quotes[symbol] = Quote(symbol=symbol, price=price, timestamp=arrived, source=SOURCE)
        return quotes


def _errors(body: Any) -> list[str]:
    """Kraken's error strings; warnings (W...) are not errors."""
    raw = body.get("error") if isinstance(body, dict) else None
    if not isinstance(raw, list):
        return []
    return [e for e in raw if isinstance(e, str) and e.startswith("E")]


def _retryable(response: httpx.Response) -> bool:
    if response.status_code >= 500:
        return True
    return bool(RETRYABLE_ERRORS.intersection(_errors(parse_json(response.content))))


def _match(result: dict[str, Any], pairs: list[str]) -> dict[str, Any]:
    """Each requested pair's entry, found under the names Kraken gives the pair in its answers."""
    unclaimed = dict(result)
    matched: dict[str, Any] = {}
    for pair in pairs:
        for key in _result_keys(pair):
            if key in unclaimed:
                matched[pair] = unclaimed.pop(key)
                break
    left = [p for p in pairs if p not in matched]
    if len(left) == 1 and len(unclaimed) == 1:
        # Kraken only answers for pairs it was asked about: the last one left is this one.
        matched[left[0]] = unclaimed.popitem()[1]
    return matched


def _result_keys(pair: str) -> list[str]:
    """XBTUSD may come back as XBTUSD, XXBTZUSD, XBTZUSD or XXBTUSD (X marks crypto, Z fiat)."""
    if not pair.endswith(QUOTE_CURRENCY) or len(pair) <= len(QUOTE_CURRENCY):
        return [pair]
    base, quote = pair[: -len(QUOTE_CURRENCY)], QUOTE_CURRENCY
    return [pair, f"X{base}Z{quote}", f"{base}Z{quote}", f"X{base}{quote}"]
