"""The price service served as an ASGI app for tests: CoinMarketCap as the test controls it (respx),
an engine that records notifications, and helpers to run cycles and read the chain."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx
import respx

from services.price_service.app import create_app
from services.price_service.evm.chain import Chain
from services.price_service.evm.oracle import PriceOracle
from services.price_service.service import PriceService
from services.price_service.settings import PriceServiceSettings
from shared.logging import configure_logging
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY

CMC = "https://cmc.test"
CMC_KEY = "cmc-test-key-5d41402abc4b2a76b9719d911017c592"
AUTH = {"X-API-Key": TEST_API_KEY}


def cmc_body(prices: dict[str, str], minute: int = 0, start: int | None = None) -> dict[str, Any]:
    # Recent, as a live quote is: the oracle stores the source's observation time (docs/money-math.md, the reference feed), and the
    # heartbeat counts from it. Each new quote is a second later (`minute` counts quotes). `start` is
    # taken when the test starts, never at import: a suite running long would make it stale (SOURCE_MAX_AGE).
    first = int(time.time()) - 60 if start is None else start
    updated = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(first + minute))
    return {
        "status": {"timestamp": "2026-11-25T09:00:00.000Z", "error_code": 0, "error_message": None,
                   "elapsed": 12, "credit_count": 1, "notice": None},
        "data": {
            symbol: [{"id": i + 1, "name": symbol, "symbol": symbol, "slug": symbol.lower(), "is_active": 1,
                      "cmc_rank": i + 1, "last_updated": updated,
                      "quote": {"USD": {"price": Decimal(price), "last_updated": updated}}}]
            for i, (symbol, price) in enumerate(prices.items())
        },
    }


class Cmc:
    """The CoinMarketCap API as the test controls it."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.prices: dict[str, str] = {}
        self.minute = 0  # CoinMarketCap's last_updated: a new quote has a newer one
        self.start = int(time.time()) - 60
        self.route = router.get(f"{CMC}/v2/cryptocurrency/quotes/latest").mock(side_effect=self._answer)

    def quote(self, symbol: str, price: str) -> None:
        self.prices[symbol] = price
        self.minute += 1

    def _answer(self, request: httpx.Request) -> httpx.Response:
        wanted = request.url.params["symbol"].split(",")
        body = cmc_body({s: self.prices[s] for s in wanted if s in self.prices}, self.minute, self.start)
        return httpx.Response(200, content=json.dumps(body, default=str).encode(),
                              headers={"content-type": "application/json"})


def settings_for(rpc_url: str, oracle: str, updater_key: str, engine_url: str, **extra: Any) -> PriceServiceSettings:
    # development: the updater is one of the local chain's published (funded) accounts, which production refuses.
    env = dict(environment="development", liquidation_api_key=TEST_API_KEY, cmc_api_key=CMC_KEY, cmc_base_url=CMC, rpc_url=rpc_url,
               oracle_address=oracle, oracle_updater_private_key=updater_key, liquidation_engine_url=engine_url,
               price_poll_interval=3600, database_url="sqlite+aiosqlite:///./data/price.db", notify_attempts=2)
    env.update(extra)
    return load_settings(PriceServiceSettings, **env)


async def settle(service: PriceService) -> None:
    """One poll cycle, and the on-chain update it started (pushes run beside the polls)."""
    await service.loop.run_now()
    await service.keeper.idle()


@asynccontextmanager
async def running(settings: PriceServiceSettings) -> AsyncIterator[tuple[httpx.AsyncClient, PriceService]]:
    configure_logging("price-service")
    service = PriceService(settings)
    app = create_app(settings, service)
    async with app.router.lifespan_context(app):
        await settle(service)  # the start-up cycle has run or is waiting on the lock
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://price") as client:
            yield client, service


async def read_onchain(rpc_url: str, oracle: str, symbol: str) -> tuple[int, int]:
    chain = await Chain.connect(rpc_url)
    try:
        price = await PriceOracle(chain, oracle).get_price(symbol)
        return price.price, price.updated_at
    finally:
        await chain.close()


def events(out: str, name: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == name]
