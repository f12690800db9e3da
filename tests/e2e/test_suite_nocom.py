"""End to end under PROTOCOL=nocom-v1: the three services as processes, the development PXE running the
deployed contracts' rules (its own transcription), the Aztec price feed written through the PXE.

A crash liquidates what the contract accepts, nothing reverts, every repay is the largest the contract
takes; the pool whose collateral is cheaper than its debt is skipped with the reason logged.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from devnet.suite import LocalSuite
from services.liquidation_engine.planning.budget import SWAPPED_PRICE_CHECK
from shared.protocols import nocom_v1
from tests.fixtures.suite import PRICES, Api, log_events, running_suite, wait_until

CMC_KEY = "e2e-cmc-key-7a1b2c3d4e5f60718293a4b5c6d7e8f9"


@pytest.fixture
def suite(tmp_path: Path) -> Iterator[LocalSuite]:
    with running_suite(tmp_path, CMC_KEY, protocol="nocom-v1", demo_escrows=9) as running:
        yield running


def feed_units(price: str) -> int:
    return int(Decimal(price) * 10**4)


def test_a_crash_on_the_deployed_rules_liquidates_what_the_contract_accepts(suite: LocalSuite) -> None:
    api = Api(suite)
    wait_until(lambda: len(api.positions()) == 9, what="positions synced")
    wait_until(lambda: {p["asset"] for p in api.get("price-service", "/prices").json()["prices"] if p["onChain"]}
               == set(PRICES), what="prices on the Aztec feed")
    # The USDC-collateral, ETH-debt pool: its under-water position is never sent, and says why.
    skipped = wait_until(lambda: [e for e in log_events(suite, "liquidation-engine", "Liquidation skipped")
                                  if e["reason"] == SWAPPED_PRICE_CHECK], what="the swapped-check skip")
    swapped = {e["escrow"] for e in skipped}
    assert all(api.positions()[e]["collateralAsset"] == "USDC" for e in swapped)
    metrics = api.get("liquidation-engine", "/metrics").text
    assert "liquidation_engine_swapped_price_check_skips_total" in metrics

    before = api.positions()
    suite.cmc.set(ETH="3060")  # type: ignore[attr-defined]  # -10 %
    done = wait_until(lambda: [x for x in api.liquidations() if x["status"] == "succeeded"], what="liquidations")
    settled = wait_until(lambda: _all_settled(api.liquidations()), what="receipts")
    # A position a liquidation left unhealthy is liquidated again, so later reads may show one in flight;
    # none may ever have failed: nothing the contract refused was sent.
    assert "failed" not in {x["status"] for x in api.liquidations()}
    assert not swapped & {x["escrow"] for x in done}
    for first in _first_per_escrow(settled):
        assert_repay_is_the_largest_the_contract_takes(first, before[first["escrow"]])


def _all_settled(rows: list[dict]) -> list[dict] | None:  # type: ignore[type-arg]
    return rows if all(x["status"] in ("succeeded", "skipped") for x in rows) else None


def _first_per_escrow(rows: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    first: dict[str, dict] = {}  # type: ignore[type-arg]
    for row in sorted((r for r in rows if r["status"] == "succeeded"), key=lambda r: r["id"]):
        first.setdefault(row["escrow"], row)
    return list(first.values())


def assert_repay_is_the_largest_the_contract_takes(row: dict, position: dict) -> None:  # type: ignore[type-arg]
    cp, dp = feed_units(row["collateralPrice"]), feed_units(row["debtPrice"])
    anchor = row["createdAt"] - nocom_v1.ANCHOR_LAG
    debt = nocom_v1.total_debt(int(position["debtPrincipal"]), int(position["debtEpoch"]), anchor)
    expected = nocom_v1.max_repay(int(position["collateralAmount"]), cp, debt, dp)
    assert int(row["repayAmount"]) == expected, row
    assert int(row["collateralSeized"]) == nocom_v1.seizure(expected, cp, dp).seized
