"""One slow or garbage source never decides for the others (issue 21), with real source clients against
real HTTP servers on loopback: a ticker trickling one byte at a time is bounded by the source's whole-fetch
deadline (SOURCE_TIMEOUT), not by a per-read timeout it keeps resetting, and the cycle goes on at the
deadline with what arrived; a 200 whose body holds no usable price is a failed fetch, shown as the source's
error (what /health's priceSources lists)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from services.price_service.metrics import PriceMetrics
from services.price_service.quotes import ConsensusRule, QuoteBook
from services.price_service.sources import CoinbaseSource, KrakenSource
from tests.fixtures.servers import serving
from tests.services.price_service.fakes import FakeSource

BTC = 97_000 * 10**8
TICKER = json.dumps({"price": "97000.00", "time": "2030-01-01T00:00:00Z"}).encode()


@asynccontextmanager
async def server(body: bytes, byte_every: float = 0.0) -> AsyncIterator[str]:
    """Answers every GET 200 with `body`, one byte every `byte_every` seconds when set (each read succeeds)."""
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        if not byte_every:
            await send({"type": "http.response.body", "body": body})
            return
        for i in range(len(body)):
            await send({"type": "http.response.body", "body": body[i:i + 1], "more_body": i + 1 < len(body)})
            await asyncio.sleep(byte_every)

    async with serving(app, lifespan="off") as url:
        yield url


def book(*sources: Any, timeout: float) -> QuoteBook:
    rule = ConsensusRule(min_sources=1, max_spread_pct=Decimal(2), max_age=300)
    return QuoteBook(list(sources), rule, PriceMetrics(), timeout=timeout)


async def test_a_trickling_ticker_fails_at_the_deadline_and_the_cycle_goes_on_with_the_others() -> None:
    kraken = FakeSource("kraken")
    kraken.prices["BTC"] = (BTC, int(time.time()))
    # One byte every 0.5 s: each read is answered well within httpx's 10 s read timeout, for ever.
    async with server(TICKER, byte_every=0.5) as url:
        coinbase = CoinbaseSource(url)
        quotes = book(coinbase, kraken, timeout=1.0)
        started = time.monotonic()
        cycle = await quotes.fetch(["BTC"])
        took = time.monotonic() - started
        await coinbase.close()
    assert took < 5  # bounded by SOURCE_TIMEOUT (1 s); the trickle alone lasts 25 s and never trips a read timeout
    assert cycle.answered and cycle.agreed["BTC"].price == BTC and cycle.agreed["BTC"].source == "kraken"
    assert "no answer within 1 s" in (quotes.status["coinbase"].error or "")
    assert quotes.metrics.registry.get_sample_value("price_service_fetches_total",
                                                    {"source": "coinbase", "outcome": "error"}) == 1


async def test_a_200_with_a_garbage_body_for_every_product_is_a_failed_fetch() -> None:
    async with server(json.dumps({"message": "hello", "price": "not a price"}).encode()) as url:
        coinbase = CoinbaseSource(url)
        quotes = book(coinbase, timeout=5)
        cycle = await quotes.fetch(["BTC", "ETH"])
        await coinbase.close()
    assert not cycle.answered and cycle.agreed == {}
    error = quotes.status["coinbase"].error or ""
    assert error.startswith("coinbase: answered without a usable price") and "invalid price" in error
    assert quotes.metrics.registry.get_sample_value("price_service_fetches_total",
                                                    {"source": "coinbase", "outcome": "success"}) is None


async def test_a_kraken_answer_without_a_usable_price_is_a_failed_fetch_too() -> None:
    body = json.dumps({"error": [], "result": {"XXBTZUSD": {"c": ["garbage", "1"]}}}).encode()
    async with server(body) as url:
        kraken = KrakenSource(url)
        quotes = book(kraken, timeout=5)
        await quotes.fetch(["BTC"])
        await kraken.close()
    assert "answered without a usable price" in (quotes.status["kraken"].error or "")
