"""The price service as an ASGI app against a real local EVM, CoinMarketCap mocked with respx."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from services.price_service.app import create_app
from services.price_service.service import PriceService
from services.price_service.settings import PriceServiceSettings
from shared.evm.chain import Chain
from shared.evm.oracle import PriceOracle
from shared.logging import configure_logging
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY
from tests.fixtures.recorder import Recorder, recording_server

CMC = "https://cmc.test"
CMC_KEY = "cmc-test-key-5d41402abc4b2a76b9719d911017c592"
AUTH = {"X-API-Key": TEST_API_KEY}
QUOTES_START = int(time.time()) - 60


def cmc_body(prices: dict[str, str], minute: int = 0) -> dict[str, Any]:
    # Recent, as a live quote is: the oracle stores the source's observation time (SPEC 5), and the
    # heartbeat counts from it. Each new quote is a second later (`minute` counts quotes).
    updated = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(QUOTES_START + minute))
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
        self.route = router.get(f"{CMC}/v2/cryptocurrency/quotes/latest").mock(side_effect=self._answer)

    def quote(self, symbol: str, price: str) -> None:
        self.prices[symbol] = price
        self.minute += 1

    def _answer(self, request: httpx.Request) -> httpx.Response:
        wanted = request.url.params["symbol"].split(",")
        body = cmc_body({s: self.prices[s] for s in wanted if s in self.prices}, self.minute)
        return httpx.Response(200, content=json.dumps(body, default=str).encode(),
                              headers={"content-type": "application/json"})


@pytest.fixture
async def cmc() -> AsyncIterator[Cmc]:
    with respx.mock(assert_all_called=False) as router:
        router.route(host="127.0.0.1").pass_through()
        yield Cmc(router)


@pytest.fixture
async def engine() -> AsyncIterator[Recorder]:
    async with recording_server(TEST_API_KEY) as recorder:
        yield recorder


def settings_for(rpc_url: str, oracle: str, updater_key: str, engine_url: str, **extra: Any) -> PriceServiceSettings:
    env = dict(liquidation_api_key=TEST_API_KEY, cmc_api_key=CMC_KEY, cmc_base_url=CMC, rpc_url=rpc_url,
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


async def test_prices_go_on_chain_and_the_engine_is_notified(local_chain, oracle_address, cmc, engine, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url)
    cmc.prices = {"BTC": "97000.5", "ETH": "3500.123456789"}
    async with running(settings) as (client, service):
        for body in ({"symbol": "btc", "name": "Bitcoin"}, {"symbol": "ETH"}):
            assert (await client.post("/assets", json=body, headers=AUTH)).status_code == 201
        await settle(service)

        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 9700050000000
        eth_price, eth_time = await read_onchain(local_chain.url, oracle_address, "ETH")
        assert eth_price == 350012345679  # 3500.123456789 rounded half-even to 8 decimals
        # Every request asks for all tracked symbols at once.
        assert cmc.route.calls.last.request.url.params["symbol"] == "BTC,ETH"

        # Adding an asset wakes the loop at once, so the first prices may come in one or two batches.
        updates = {u["asset"]: u for r in engine.requests for u in r.body["updates"]}
        assert set(updates) == {"BTC", "ETH"}
        assert all(r.headers["x-api-key"] == TEST_API_KEY for r in engine.requests)
        assert updates["BTC"]["price"] == "97000.5" and updates["BTC"]["previousPrice"] is None
        assert updates["ETH"]["timestamp"] == eth_time and updates["ETH"]["txHash"].startswith("0x")
        sent_before = len(engine.requests)

        prices = (await client.get("/prices")).json()["prices"]
        btc = next(p for p in prices if p["asset"] == "BTC")
        assert btc["price"] == "97000.5" and btc["source"] == "cmc"
        assert btc["onChain"]["price"] == "97000.5" and btc["onChain"]["txHash"] == updates["BTC"]["txHash"]

        # 0.3 % is below the threshold: nothing is sent.
        cmc.quote("BTC", "97291.5015")
        await settle(service)
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 9700050000000
        # 0.6 % is above it: BTC alone goes on-chain.
        cmc.quote("BTC", "97582.503")
        await settle(service)
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 9758250300000
        second = (await engine.wait_for(sent_before + 1))[sent_before].body["updates"]
        assert [u["asset"] for u in second] == ["BTC"] and second[0]["previousPrice"] == "97000.5"

    out = capsys.readouterr().out
    first_reasons = {k: v for e in events(out, "Price updated on-chain")[:-1] for k, v in e["reasons"].items()}
    assert first_reasons == {"BTC": "initial", "ETH": "initial"}
    assert events(out, "Price updated on-chain")[-1]["reasons"] == {"BTC": "deviation"}
    assert any(e["asset"] == "BTC" for e in events(out, "Price change not significant"))
    assert events(out, "Price change")[0]["asset"] == "BTC"
    assert events(out, "Liquidation engine notified")
    assert TEST_API_KEY not in out and CMC_KEY not in out and local_chain.keys[1][2:] not in out


async def test_restart_keeps_assets_and_sends_no_redundant_update(local_chain, oracle_address, cmc, engine, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url)
    cmc.prices = {"SOL": "150.25"}
    async with running(settings) as (client, service):
        await client.post("/assets", json={"symbol": "SOL", "name": "Solana"}, headers=AUTH)
        await settle(service)
    before = await read_onchain(local_chain.url, oracle_address, "SOL")
    capsys.readouterr()

    async with running(settings) as (client, service):
        assets = (await client.get("/assets")).json()
        assert assets["count"] == 1 and assets["assets"][0]["symbol"] == "SOL" and assets["assets"][0]["name"] == "Solana"
        await settle(service)
        price = (await client.post("/prices", json={"assets": ["sol"]})).json()["prices"][0]
        assert price["onChain"]["updatedAt"] == before[1] and price["onChain"]["txHash"]
    assert await read_onchain(local_chain.url, oracle_address, "SOL") == before
    assert not events(capsys.readouterr().out, "Price updated on-chain")
    assert len(engine.requests) == 1


async def test_a_single_bad_quote_never_reaches_the_chain(local_chain, oracle_address, cmc, engine, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url)
    cmc.prices = {"BTC": "100000"}
    async with running(settings) as (client, service):
        await client.post("/assets", json={"symbol": "BTC"}, headers=AUTH)
        await settle(service)
        cmc.quote("BTC", "30000")  # -70 %: held
        await settle(service)
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 100000 * 10**8
        cmc.quote("BTC", "99900")  # the bad quote was alone: discarded
        await settle(service)
        cmc.quote("BTC", "31000")  # held again ...
        await settle(service)
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 100000 * 10**8
        cmc.quote("BTC", "30500")  # ... and confirmed by the next poll
        await settle(service)
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 30500 * 10**8
    out = capsys.readouterr().out
    assert len(events(out, "Price jump held for confirmation")) == 2


async def test_failed_transaction_keeps_assets_due(local_chain, oracle_address, cmc, engine, capsys) -> None:  # type: ignore[no-untyped-def]
    # keys[2] is not the oracle's updater: every setPrices reverts until the owner allows it.
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[2], engine.url)
    cmc.prices = {"ETH": "3000"}
    async with running(settings) as (client, service):
        await client.post("/assets", json={"symbol": "ETH"}, headers=AUTH)
        await settle(service)
        await settle(service)
        failures = events(capsys.readouterr().out, "Price update failed")
        # Two cycles or more (adding the asset wakes the loop too), each one trying ETH again.
        assert len(failures) >= 2 and all(f["assets"] == ["ETH"] and "Not updater" in f["error"] for f in failures)
        health = await client.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "degraded"

        await set_updater(local_chain, oracle_address, local_chain.keys[2])
        await settle(service)
        assert (await read_onchain(local_chain.url, oracle_address, "ETH"))[0] == 3000 * 10**8
        assert (await client.get("/health")).json()["status"] == "healthy"
        metrics = (await client.get("/metrics")).text
        assert 'price_service_onchain_updates_total{reason="initial"} 1.0' in metrics
        assert f"price_service_onchain_update_failures_total {len(failures)}.0" in metrics
    assert len(engine.requests) == 1


async def set_updater(local_chain, oracle: str, key: str) -> None:  # type: ignore[no-untyped-def]
    from eth_account import Account

    from shared.evm.chain import TxSender
    from shared.evm.oracle import load_artifact

    chain = await Chain.connect(local_chain.url)
    try:
        contract = chain.w3.eth.contract(address=oracle, abi=load_artifact()["abi"])
        data = contract.encode_abi("setUpdater", [Account.from_key(key).address])
        await TxSender(chain, local_chain.keys[0]).send(oracle, data)
    finally:
        await chain.close()


async def test_bad_input_gets_clear_4xx(local_chain, oracle_address, cmc, engine) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url, max_tracked_assets=2)
    async with running(settings) as (client, _service):
        cases = [
            ("post", "/assets", {"symbol": "BTC"}, {}, 401),
            ("post", "/assets", {"symbol": "BTC-USD"}, AUTH, 422),
            ("post", "/assets", {"symbol": ""}, AUTH, 422),
            ("post", "/assets", {"symbol": "A" * 16}, AUTH, 422),
            ("post", "/assets", {"name": "no symbol"}, AUTH, 422),
            ("post", "/assets", {"symbol": "BTC"}, AUTH, 201),
            ("post", "/assets", {"symbol": "btc"}, AUTH, 409),
            ("post", "/assets", {"symbol": "ETH"}, AUTH, 201),
            ("post", "/assets", {"symbol": "SOL"}, AUTH, 409),
            ("delete", "/assets/DOGE", None, AUTH, 404),
            ("delete", "/assets/BTC", None, {}, 401),
            ("post", "/prices", {"assets": []}, {}, 422),
            ("post", "/prices", {"assets": ["BTC"] * 31}, {}, 422),
            ("post", "/prices", {"assets": ["DOGE"]}, {}, 404),
            ("post", "/prices", {"assets": ["B@D"]}, {}, 422),
        ]
        for method, path, body, headers, status in cases:
            r = await client.request(method, path, json=body, headers=headers)
            assert r.status_code == status, (method, path, body, r.text)
            assert r.status_code < 300 or set(r.json()) >= {"error"}
        assert (await client.post("/assets", content=b"{", headers={**AUTH, "content-type": "application/json"})).status_code == 400
        big = json.dumps({"symbol": "BTC", "name": "x" * 100_000})
        assert (await client.post("/assets", content=big, headers={**AUTH, "content-type": "application/json"})).status_code == 413
        r = await client.delete("/assets/eth", headers=AUTH)
        assert r.status_code == 200 and r.json()["symbol"] == "ETH"
        assert (await client.get("/assets")).json()["count"] == 1


async def test_unreachable_chain_is_unhealthy_and_pushes_nothing(cmc, engine, capsys) -> None:  # type: ignore[no-untyped-def]
    from devnet.chain.local import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    settings = settings_for(dead, "0x" + "11" * 20, "0x" + "22" * 32, engine.url)
    cmc.prices = {"BTC": "97000"}
    async with running(settings) as (client, service):
        await client.post("/assets", json={"symbol": "BTC"}, headers=AUTH)
        await settle(service)
        health = await client.get("/health")
        assert health.status_code == 503 and health.json()["status"] == "unhealthy"
        assert health.json()["checks"]["chain"] == "unreachable"
    assert not engine.requests
    assert events(capsys.readouterr().out, "Price update failed")
