"""The suite on a real Aztec 3.0.0-devnet.5 network, as operators run it: the project's gateway on the node,
the three services as processes on it, prices from a price API (a loopback CoinMarketCap), nocom-v1's
MockPriceFeed and a NocomEscrow deployed by the tier itself (tests/aztec/conftest.py says how to run it).

The tests run in order and share one world: the prices landed by the first are what the engine reads later.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.price_service.feeds import round_to_decimals
from shared.feeds.aztec import price_slot
from shared.pxe.client import PxeClient
from shared.pxe.fields import to_field
from shared.units import parse_price
from tests.aztec.network import SYMBOLS, Deployed, set_prices_sent, within
from tests.conftest import TEST_API_KEY
from tests.fixtures.fake_cmc import FakeCoinMarketCap
from tests.fixtures.processes import ServiceProcess
from tests.gateway.conftest import RunningGateway

CMC_KEY = "tier-cmc-key-5b8e2d7f9a1c4e6b3d0f8a2c"
PRICES = {"ZEC": "500", "USDC": "1", "BTC": "97000", "ETH": "3400", "SOL": "180", "DOT": "7.25"}
POLL = 4.0
AUTH = {"X-API-Key": TEST_API_KEY}
FEED_DECIMALS = 4


@pytest.fixture(scope="module")
def cmc() -> Iterator[FakeCoinMarketCap]:
    server = FakeCoinMarketCap(CMC_KEY)
    server.set(**PRICES)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def suite(tier_dir: Path, deployed: Deployed, gateway: RunningGateway, cmc: FakeCoinMarketCap) -> Iterator[dict[str, ServiceProcess]]:
    common = {"PROTOCOL": "nocom-v1", "PXE_URL": gateway.url, "PRICE_FEED_ADDRESS": deployed.feed}
    procs = {name: ServiceProcess(name, name, {}, tier_dir) for name in ("liquidation-engine", "note-monitor", "price-service")}
    url = {name: p.url for name, p in procs.items()}
    procs["liquidation-engine"].env.update({
        **common, "DATABASE_URL": f"sqlite+aiosqlite:///{tier_dir}/engine.db", "NOTE_MONITOR_URL": url["note-monitor"],
        "PRICE_SERVICE_URL": url["price-service"], "LIQUIDATOR_PRIVATE_KEY": deployed.lender["secretKey"],
        "SWEEP_INTERVAL": "5", "RECEIPT_TIMEOUT": "300"})
    procs["note-monitor"].env.update({**common, "DATABASE_URL": f"sqlite+aiosqlite:///{tier_dir}/monitor.db",
                                      "SYNC_INTERVAL": "5"})
    procs["price-service"].env.update({
        **common, "DATABASE_URL": f"sqlite+aiosqlite:///{tier_dir}/price.db", "LIQUIDATION_ENGINE_URL": url["liquidation-engine"],
        "PRICE_FEED_ADMIN_SECRET_KEY": deployed.admin["secretKey"], "PRICE_SOURCES": "cmc", "CMC_API_KEY": CMC_KEY,
        "CMC_BASE_URL": cmc.url, "ASSET_TOKENS": ",".join(f"{s}={deployed.tokens[s]}" for s in SYMBOLS),
        "PRICE_POLL_INTERVAL": str(POLL), "PRICE_HEARTBEAT": "3600"})
    try:
        for process in procs.values():
            process.start(timeout=180)
        yield procs
    finally:
        for process in procs.values():
            process.stop()


def feed_words(gateway: RunningGateway, deployed: Deployed, symbols: tuple[str, ...]) -> dict[str, int]:
    """The feed's prices as its public storage holds them (what the contract reads)."""
    import asyncio

    async def read() -> list[Any]:
        async with PxeClient(gateway.url, timeout=30) as client:
            return await client.public_storage(deployed.feed, [price_slot(deployed.tokens[s]) for s in symbols])

    return dict(zip(symbols, asyncio.run(read()), strict=True))


def in_feed_units(price: str) -> int:
    return round_to_decimals(parse_price(price), FEED_DECIMALS)


def in_feed_units_of(onchain_price: str) -> int:
    """The price service shows a feed price in the feed's decimals: back to the feed's integer units."""
    return int(Decimal(onchain_price) * 10**FEED_DECIMALS)


def test_the_price_service_lands_every_price_in_the_feed_and_reads_it_back(
        suite: dict[str, ServiceProcess], deployed: Deployed, gateway: RunningGateway) -> None:
    price = suite["price-service"]
    for symbol in SYMBOLS:
        assert price.post("/assets", {"symbol": symbol}).status_code == 201
    landed = within(300, lambda: all(p["onChain"] for p in price.get("/prices").json()["prices"]), "every price on-chain")
    assert landed
    assert feed_words(gateway, deployed, SYMBOLS) == {s: in_feed_units(PRICES[s]) for s in SYMBOLS}
    sent = set_prices_sent(gateway.log)
    calls = [name for tx in sent for name in tx]
    assert set(calls) == {"set_prices"} and len(calls) == 2  # six assets, at most four a call
    assert len(sent) == 1  # both calls in one transaction: the entrypoint carries up to five


def test_a_move_of_0_6_percent_is_pushed_and_one_of_0_3_percent_is_not(
        suite: dict[str, ServiceProcess], deployed: Deployed, gateway: RunningGateway, cmc: FakeCoinMarketCap) -> None:
    before = feed_words(gateway, deployed, ("BTC", "ETH"))
    moved = {"BTC": str(Decimal(PRICES["BTC"]) * Decimal("1.006")), "ETH": str(Decimal(PRICES["ETH"]) * Decimal("1.003"))}
    cmc.set(**moved)
    within(120, lambda: feed_words(gateway, deployed, ("BTC",))["BTC"] != before["BTC"], "the 0.6 % move on the feed")
    time.sleep(3 * POLL)  # three more polls: the 0.3 % move is seen and not pushed
    after = feed_words(gateway, deployed, ("BTC", "ETH"))
    assert after == {"BTC": in_feed_units(moved["BTC"]), "ETH": before["ETH"]}
    not_pushed = [e for e in suite["price-service"].events("Price change not significant") if e.get("asset") == "ETH"]
    assert not_pushed and Decimal(not_pushed[-1]["changePct"]) == Decimal("0.3000")


def test_a_restart_pushes_nothing_redundant(suite: dict[str, ServiceProcess], gateway: RunningGateway) -> None:
    price = suite["price-service"]
    sent = len(set_prices_sent(gateway.log))
    price.stop()
    price.start(timeout=180)
    fetched = price.health()["lastFetchAt"]
    within(60, lambda: (price.health()["lastFetchAt"] or 0) > (fetched or 0) + 2 * POLL, "three polls after the restart")
    assert len(set_prices_sent(gateway.log)) == sent
    assert price.health()["status"] == "healthy"


def register_owner_keys(gateway: RunningGateway, deployed: Deployed) -> None:
    """The escrow's ConfigNote is its owner's: a PXE reads it only holding the owner's keys (docs/pxe-jsonrpc.md)."""
    owner = deployed.owner
    answer = httpx.post(gateway.url, json={"jsonrpc": "2.0", "id": 1, "method": "pxe_registerAccount",
                                           "params": [to_field(owner["secretKey"]), to_field(owner["salt"])]}, timeout=60)
    assert answer.json()["result"]["address"] == to_field(owner["address"])


def register_escrow(monitor: ServiceProcess, deployed: Deployed) -> httpx.Response:
    escrow = deployed.escrow
    return monitor.post("/escrows", {"address": escrow["address"], "secretKey": escrow["secretKey"],
                                     "instance": escrow["instance"], "owner": deployed.owner["address"]})


def test_the_note_monitor_registers_the_escrow_reads_its_config_note_and_names_the_missing_pool(
        suite: dict[str, ServiceProcess], deployed: Deployed, gateway: RunningGateway) -> None:
    if deployed.position is not None:
        pytest.skip("the pool is deployed here (an operator's artifacts): the end-to-end test registers the escrow")
    register_owner_keys(gateway, deployed)
    registered = register_escrow(suite["note-monitor"], deployed)
    body = registered.json()
    assert registered.status_code in (409, 422, 503), body  # refused: its pool is not on this network
    assert f"pool {to_field(deployed.escrow['pool'])} is not deployed" in body["error"], body
    assert "BoundedVec" not in body["error"]


def test_the_engine_reads_the_feed_the_price_service_wrote_and_reaches_the_pxe(suite: dict[str, ServiceProcess]) -> None:
    engine = suite["liquidation-engine"]
    health = within(60, lambda: (h := engine.health())["pxeConnected"] and h, "the engine to reach the PXE")
    assert health["checks"]["liquidatorRegistered"] is True
    # no position yet: the engine reads the prices the price service keeps on the feed, in the feed's units
    read = within(60, lambda: (c := engine.health()["checks"])["oracle"] == "ok" and len(c["pricesRead"]) == len(SYMBOLS)
                  and c["pricesRead"], "the engine to read every price on the feed")
    onchain = {p["asset"]: p["onChain"]["price"] for p in suite["price-service"].get("/prices").json()["prices"]}
    assert {s: int(v) for s, v in read.items()} == {s: in_feed_units_of(onchain[s]) for s in SYMBOLS}


def test_a_position_is_opened_and_liquidated_end_to_end(suite: dict[str, ServiceProcess], deployed: Deployed,
                                                        gateway: RunningGateway, cmc: FakeCoinMarketCap) -> None:
    if deployed.position is None:
        pytest.skip("skipped: deploying a NocomLendingPoolV1 and aztec-standards Tokens, supplying liquidity and collateral, "
                    "borrowing, moving the price and the engine's liquidation. nocom's pools and aztec-standards' Token are "
                    "not public artifacts; put them in ARTIFACTS_DIR to run these steps")
    register_owner_keys(gateway, deployed)
    monitor, engine = suite["note-monitor"], suite["liquidation-engine"]
    assert register_escrow(monitor, deployed).status_code == 201
    escrow = to_field(deployed.escrow["address"])
    position = within(120, lambda: (r := monitor.get(f"/positions/{escrow}")).status_code == 200 and r.json(), "the position")
    assert position["debtPrincipal"] == deployed.position["debtPrincipal"]
    cmc.set(ZEC="437")  # 20 ZEC at $437 against $7000 at an 80 % threshold: under water
    liquidated = within(600, lambda: [x for x in engine.get("/liquidations").json()["liquidations"] if x["escrow"] == escrow
                                      and x["status"] == "succeeded"], "the engine's liquidation to succeed", every=5)
    # at most half the debt (the close factor); minutes of interest at 50 % a year stay far below 1 %
    assert 0 < int(liquidated[0]["repayAmount"]) <= int(position["debtPrincipal"]) * 101 // 200
    after = within(120, lambda: (p := monitor.get(f"/positions/{escrow}").json())["version"] > position["version"] and p,
                   "the monitor to read the liquidated notes")
    assert int(after["collateralAmount"]) < int(position["collateralAmount"])
