"""End to end: the three services as real processes on loopback, a real local EVM, the development
PXE, and CoinMarketCap as a fake server, driven over HTTP the way RUNBOOK.md tells operators to."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devnet.suite import LocalSuite
from tests.fixtures.suite import Api, log_events, running_suite, unhealthy, wait_until

CMC_KEY = "e2e-cmc-key-3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c"


@pytest.fixture
def suite(tmp_path: Path) -> Iterator[LocalSuite]:
    with running_suite(tmp_path, CMC_KEY) as running:
        yield running


def test_crash_liquidates_exactly_the_unhealthy_and_restarts_lose_nothing(suite: LocalSuite) -> None:
    api = Api(suite)
    wait_until(lambda: len(api.positions()) == 8 and len(api.onchain()) == 3, what="positions synced and prices on-chain")
    wait_until(lambda: api.get("liquidation-engine", "/health").json()["positionsTracked"] == 8, what="engine mirror")
    assert api.liquidations() == []

    assert_a_wrong_key_is_refused_and_logged_without_it(api, suite)

    # ETH falls 10 %: exactly the positions that are then unhealthy are liquidated, and shrink.
    before = api.positions()
    crashed = {**api.onchain(), "ETH": 3060 * 10**8}
    expected = unhealthy(before, crashed)
    assert expected and len(expected) < len(before)
    suite.cmc.set(ETH="3060")  # type: ignore[attr-defined]
    done = wait_until(lambda: {x["escrow"] for x in api.liquidations() if x["status"] == "succeeded"} >= expected
                      and api.liquidations(), what="liquidations")
    assert {x["escrow"] for x in done} == expected
    assert {x["escrow"] for x in log_events(suite, "liquidation-engine", "Liquidation executed successfully")} == expected

    def shrunk() -> bool:
        now = api.positions()
        return all(int(now[e]["collateralAmount"]) < int(before[e]["collateralAmount"]) for e in expected)

    wait_until(shrunk, what="liquidated positions to shrink")
    after = api.positions()
    for escrow in set(before) - expected:
        assert after[escrow]["collateralAmount"] == before[escrow]["collateralAmount"]
    # A partial liquidation may leave a position still below 1.0: it is liquidated again until healthy.
    wait_until(lambda: not unhealthy(api.positions(), api.onchain()), what="every position healthy again")
    wait_until(lambda: all(x["status"] != "submitted" for x in api.liquidations()), what="receipts resolved")
    assert {x["escrow"] for x in api.liquidations()} == expected

    assert_kill_9_of_each_service_loses_and_repeats_nothing(api, suite)


def assert_a_wrong_key_is_refused_and_logged_without_it(api: Api, suite: LocalSuite) -> None:
    """A wrong key is refused and logged, without the key."""
    wrong = {"X-API-Key": "wrong-" + suite.config.api_key}
    assert api.get("note-monitor", "/positions", headers=wrong).status_code == 401
    r = httpx.post(f"{suite.url('liquidation-engine')}/price-update", json={"updates": []}, headers=wrong, timeout=10)
    assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}
    seen = log_events(suite, "note-monitor", "Unauthorized")
    assert seen and seen[-1]["path"] == "/positions" and suite.config.api_key not in json.dumps(seen)


def assert_kill_9_of_each_service_loses_and_repeats_nothing(api: Api, suite: LocalSuite) -> None:
    """kill -9 each service in turn: nothing registered or recorded is lost, nothing is repeated."""
    record = {x["id"]: x["status"] for x in api.liquidations()}
    sent = [(x["txHash"], x["escrow"]) for x in api.liquidations()]  # a bundled transaction carries several
    assert len(set(sent)) == len(sent)
    for name in ("liquidation-engine", "note-monitor", "price-service"):
        suite.stop_service(name, kill=True)
        suite.start_service(name)
        assert api.get("price-service", "/assets").json()["count"] == 3
        assert api.get("note-monitor", "/escrows").json()["count"] == 8
        assert wait_until(lambda: len(api.positions()) == 8, what="positions after restart")
        assert {x["id"]: x["status"] for x in api.liquidations()} == record
    time.sleep(2 * suite.config.sweep_interval + 1)  # a couple of sweeps after the last restart
    assert {x["id"]: x["status"] for x in api.liquidations()} == record
    succeeded = [i for i, status in record.items() if status == "succeeded"]
    assert len(log_events(suite, "liquidation-engine", "Liquidation executed successfully")) == len(succeeded), record
    # The price service read the on-chain prices back after its restart: each asset went on-chain
    # as "initial" once, in the first run, never again.
    initial = [a for e in log_events(suite, "price-service", "Price updated on-chain")
               for a, reason in e["reasons"].items() if reason == "initial"]
    assert sorted(initial) == ["BTC", "ETH", "USDC"]
