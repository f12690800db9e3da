"""Before any position names a token, the engine reads the feed prices the price service keeps (nocom-v1: the
price service's GET /prices says which token each price is keyed by), so /health shows the feed read and usable.

The nocom-v1 development PXE over real HTTP; the price service's GET /prices served by a loopback server
(its answer's shape is the price service's own schema); the engine as an ASGI app."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devnet.chain.local import free_port
from devnet.pxe.background import running_dev_pxe
from services.liquidation_engine.app import create_app
from services.liquidation_engine.monitor_client import MonitorClient
from services.liquidation_engine.service import LiquidationEngine
from services.liquidation_engine.settings import LiquidationEngineSettings
from services.price_service.api.schemas import PriceList
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY
from tests.services.liquidation_engine.engine_stack import LIQUIDATOR_KEY, until
from tests.services.liquidation_engine.test_api import closed_port_url


class PricesServer:
    """GET /prices as the price service answers it, with the tokens given."""

    def __init__(self, prices: dict[str, tuple[str, str]]) -> None:
        now = int(time.time())
        self.body = PriceList(prices=[{"asset": s, "price": p, "timestamp": now, "source": "cmc", "noPrice": None,
                                       "onChain": {"price": p, "updatedAt": now, "txHash": None, "token": t}}
                                      for s, (p, t) in prices.items()], timestamp=now).model_dump()
        self.port = free_port()
        app = Starlette(routes=[Route("/prices", self._prices)])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def _prices(self, _request: Request) -> Response:
        return Response(json.dumps(self.body), media_type="application/json")

    def __enter__(self) -> str:
        self.thread.start()
        until_started = time.monotonic() + 10
        while not self.server.started and time.monotonic() < until_started:
            time.sleep(0.01)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)


@pytest.fixture
def feed() -> Iterator[Any]:
    with running_dev_pxe(protocol="nocom-v1", block_time=0.05) as pxe:
        yield pxe


async def test_with_no_position_the_engine_reads_the_prices_the_price_service_keeps_on_the_feed(
        tmp_path: Path, feed: Any) -> None:
    demo = await feed.admin.acall("dev_seedDemo", [{"escrows": 0}])
    tokens = demo["tokens"]
    with PricesServer({"ETH": ("3400", tokens["ETH"]), "USDC": ("1", tokens["USDC"])}) as price_service:
        settings = load_settings(LiquidationEngineSettings, liquidation_api_key=TEST_API_KEY, protocol="nocom-v1",
                                 pxe_url=feed.url, price_feed_address=demo["feed"]["address"],
                                 price_service_url=price_service, liquidator_private_key=LIQUIDATOR_KEY,
                                 sweep_interval=3600, database_url=f"sqlite+aiosqlite:///{tmp_path}/engine.db")
        engine = LiquidationEngine(settings, monitor=MonitorClient(closed_port_url(), TEST_API_KEY))
        app = create_app(settings, engine)
        async with app.router.lifespan_context(app), \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://engine") as http:
            read: dict[str, str] = {}

            async def read_both() -> bool:
                checks = (await http.get("/health")).json()["checks"]
                read.update(checks["pricesRead"] if checks["oracle"] == "ok" else {})
                return len(read) == 2

            await until(read_both, what="the engine to read both feed prices")
    assert read == {"ETH": str(3_400 * 10**4), "USDC": str(1 * 10**4)}  # the demo feed's prices, 4 decimals
