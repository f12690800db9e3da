"""Chaos on the whole suite (issue 10, "Also"): real processes, one suite for the module.

The development PXE frozen (SIGSTOP), the chain killed (-9) and a new one started on its port, each
service killed (-9) while liquidations are in flight and restarted from its database. /health must
say the truth within seconds, and nothing may be lost or repeated: the dev PXE's own record of
transactions (dev_listTxs) and the engine's GET /liquidations match one to one by hash.

The dev PXE costs what a real one does for a transaction (fake proofs, scaled; reads free): sends take
their time, so the engine's kill lands while the PXE is still proving and sending a burst.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from devnet.pxe.costs import FAKE_PROOFS
from devnet.suite import LocalSuite
from services.price_service.evm.chain import Chain
from services.price_service.evm.oracle import PriceOracle
from shared.units import parse_price
from tests.fixtures.suite import Api, running_suite, unhealthy, wait_until
from tests.services.liquidation_engine.engine_stack import FREE_READS

CMC_KEY = "chaos-cmc-key-5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"
SERVICES = ("price-service", "note-monitor", "liquidation-engine")
ESCROWS = 24  # three per demo health target: each price step below puts three positions under 1.0
TRUTH_WITHIN = 20  # seconds: health probes time out after 2 s and are cached 1.5 s; generous for a loaded machine


SEND_COSTS = {"DEV_PXE_COSTS": FAKE_PROOFS, "DEV_PXE_TIME_SCALE": "0.05",
              "DEV_PXE_COST": ",".join(f"{name}={seconds}" for name, seconds in FREE_READS.items())}


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSuite]:
    with pytest.MonkeyPatch.context() as env:
        for name, value in SEND_COSTS.items():  # read by the dev PXE the suite starts
            env.setenv(name, value)
        with running_suite(tmp_path_factory.mktemp("chaos"), CMC_KEY, demo_escrows=ESCROWS) as suite:
            api = Api(suite)
            wait_until(lambda: len(api.positions()) == ESCROWS and len(api.onchain()) == 3, what="positions and prices")
            wait_until(lambda: api.get("liquidation-engine", "/health").json()["positionsTracked"] == ESCROWS,
                       what="engine mirror")
            wait_until(lambda: all_healthy(api), what="a healthy suite")
            yield suite


def all_healthy(api: Api) -> bool:
    return all(api.health(name) == "healthy" for name in SERVICES)


def test_a_frozen_pxe_is_reported_within_seconds_and_recovered_from(chaos: LocalSuite) -> None:
    api = Api(chaos)
    chaos.freeze_pxe(True)
    try:
        wait_until(lambda: api.health("note-monitor") == "degraded" and api.health("liquidation-engine") == "degraded",
                   TRUTH_WITHIN, "monitor and engine to report the frozen PXE")
        monitor = api.get("note-monitor", "/health").json()
        engine = api.get("liquidation-engine", "/health").json()
        assert monitor["pxeConnected"] is False and monitor["checks"]["pxe"] is False, monitor
        assert engine["pxeConnected"] is False, engine
        assert api.health("price-service") == "healthy"  # it never talks to the PXE
        assert len(api.positions()) == ESCROWS  # the last positions are still served
    finally:
        chaos.freeze_pxe(False)
    wait_until(lambda: all_healthy(api), TRUTH_WITHIN, "health after SIGCONT")
    assert api.get("note-monitor", "/health").json()["pxeConnected"] is True


def test_a_chain_killed_and_restarted_is_reported_and_prices_are_pushed_again(chaos: LocalSuite) -> None:
    api = Api(chaos)
    before = api.onchain()
    assert oracle_prices(chaos) == before
    chaos.kill_chain()
    try:
        wait_until(lambda: api.health("price-service") == "unhealthy" and api.health("liquidation-engine") == "degraded",
                   TRUTH_WITHIN, "price service and engine to report the dead chain")
        price = api.get("price-service", "/health")
        assert price.status_code == 503 and price.json()["checks"]["chain"] == "unreachable", price.json()
        assert api.get("liquidation-engine", "/health").json()["checks"]["oracle"] != "ok"
        assert api.health("note-monitor") == "healthy"  # it never reads the chain
    finally:
        chaos.restart_chain()  # empty: the PriceOracle redeployed at its address, with no price
    # The price service finds the oracle empty and pushes every asset again, at the prices of before.
    wait_until(lambda: oracle_prices(chaos) == before, 30, "the prices pushed to the new chain")
    wait_until(lambda: all_healthy(api), 30, "health after the chain came back")
    assert api.onchain() == before


# Price steps (fake CoinMarketCap), each putting three demo positions under 1.0, and the service
# killed while that burst of liquidations is in flight.
BURSTS = [("liquidation-engine", {"ETH": "3270"}), ("note-monitor", {"BTC": "91800"}), ("price-service", {"ETH": "3130"})]


def test_kill_9_of_each_service_mid_liquidation_loses_and_repeats_nothing(chaos: LocalSuite) -> None:
    api = Api(chaos)
    caught = []
    for name, drop in BURSTS:
        prices = {**api.onchain(), **{symbol: parse_price(p) for symbol, p in drop.items()}}
        expected = unhealthy(api.positions(), prices)
        assert expected, f"{drop} puts no position under 1.0"
        known = {x["id"] for x in api.liquidations()}
        chaos.cmc.set(**drop)  # type: ignore[attr-defined]
        caught.append(kill_mid_liquidation(api, chaos, name, known))
        if name == "note-monitor":  # the engine reads positions from it: it says so while it is gone
            wait_until(lambda: api.get("liquidation-engine", "/health").json()["noteMonitorReachable"] is False,
                       TRUTH_WITHIN, "the engine to report the monitor gone")
            assert api.health("liquidation-engine") == "degraded"
        chaos.start_service(name)
        wait_until(lambda: expected <= succeeded_escrows(api), 60, f"the burst after killing {name}")
        settle(api)
        wait_until(lambda: all_healthy(api), TRUTH_WITHIN, f"health after restarting {name}")
    assert any(caught), "no kill landed while a liquidation was in flight"
    assert_one_to_one_with_the_pxe_record(api)


def kill_mid_liquidation(api: Api, suite: LocalSuite, name: str, known: set[int]) -> bool:
    """kill -9 `name` as soon as a new liquidation is sent and its hash recorded (its receipt not final
    yet): True when one was caught in flight, False when the burst was over first (killed anyway). The
    engine itself is killed the moment the PXE received the burst's first transaction, whatever the engine
    recorded by then: the rest of the burst is still being proven and sent."""
    deadline = time.monotonic() + 30
    in_flight = False
    sent_before = {tx["txHash"] for tx in api.pxe_txs()}
    while name == "liquidation-engine" and time.monotonic() < deadline:
        if any(tx["txHash"] not in sent_before and _liquidates(tx) for tx in api.pxe_txs()):
            suite.stop_service(name, kill=True)
            return True
        time.sleep(0.01)
    while time.monotonic() < deadline:
        new = [x for x in api.liquidations() if x["id"] not in known]
        if any(x["status"] == "submitted" and x["txHash"] for x in new):
            in_flight = True
            break
        if new and all(x["status"] != "submitted" for x in new):
            break  # over before we looked: still a kill right after a burst
        time.sleep(0.03)
    suite.stop_service(name, kill=True)
    return in_flight


def succeeded_escrows(api: Api) -> set[str]:
    return {x["escrow"] for x in api.liquidations() if x["status"] == "succeeded"}


def settle(api: Api) -> None:
    """Every receipt final and no position left under 1.0 (a partial liquidation is repeated until healthy)."""
    wait_until(lambda: all(x["status"] not in ("submitted", "unknown") for x in api.liquidations()), 60, "receipts")
    wait_until(lambda: not unhealthy(api.positions(), api.onchain()), 60, "every position healthy again")


def _liquidates(tx: dict[str, Any]) -> bool:
    return any(call["name"] == "liquidate" for call in tx["calls"])


def assert_one_to_one_with_the_pxe_record(api: Api) -> None:
    """Every liquidation the PXE received (a transaction may bundle several) is one row with its hash, and
    every mined one is `succeeded`; a recorded hash the PXE never received is a send that never happened."""
    rows = api.liquidations()
    txs = [tx for tx in api.pxe_txs() if _liquidates(tx)]
    by_hash = {tx["txHash"]: tx for tx in txs}
    received = [(tx["txHash"], call["to"]) for tx in txs for call in tx["calls"] if call["name"] == "liquidate"]
    recorded = [(x["txHash"], x["escrow"]) for x in rows if x["txHash"] in by_hash]
    assert len(set(recorded)) == len(recorded), "a liquidation recorded twice"
    assert sorted(recorded) == sorted(received), {"not in GET /liquidations": set(received) - set(recorded),
                                                  "unknown to the PXE": set(recorded) - set(received)}
    for row in rows:
        if row["txHash"] is None:  # never sent: its failure or skip was decided before the PXE saw it
            assert row["status"] in ("failed", "skipped"), row
            continue
        tx = by_hash.get(row["txHash"])
        if tx is None:  # proven and recorded, never sent (the kill came first): its receipt says so
            assert (row["status"], row["error"]) == ("failed", "Transaction dropped"), row
            continue
        assert (tx["status"], row["status"]) == ("success", "succeeded"), (row, tx)  # nothing sent on stale state
    blocks = [(escrow, by_hash[tx_hash]["blockNumber"]) for tx_hash, escrow in received]
    assert len(set(blocks)) == len(blocks), "an escrow liquidated twice in one block"


def oracle_prices(suite: LocalSuite) -> dict[str, int]:
    """The PriceOracle's prices as the chain holds them (0 for none), read directly."""
    assert suite.chain is not None
    url = suite.chain.url

    async def read() -> dict[str, int]:
        chain = await Chain.connect(url, request_timeout=2)
        try:
            found = await PriceOracle(chain, suite.oracle_address).get_prices(["BTC", "ETH", "USDC"])
        finally:
            await chain.close()
        return {symbol: p.price for symbol, p in found.items() if p.price}

    try:
        return asyncio.run(read())
    except Exception:  # noqa: BLE001 - a chain not answering yet holds no price we can see
        return {}

