"""Demo seeding for nocom-v1: three tokens, a MockPriceFeed holding their prices, three lending pools
and escrows spread over health values.

The third pool lends ETH against USDC collateral: its collateral is cheaper than its debt, so the
contract's swapped price check reverts an honest liquidation there. One of its positions starts
under water, so a liquidation engine's refusal to send it shows at the first sweep.
"""

from __future__ import annotations

from typing import Any

from devnet.pxe.nocom_v1.state import NocomState, default_loan_epoch

UNIT = 10**18  # every demo token has 18 decimals
TOKEN_NAMES = {"BTC": "Bitcoin", "ETH": "Ethereum", "USDC": "USD Coin"}
# 4 decimals, as the feed holds them; the mock price source's base prices, so a run starts where they are.
DEMO_PRICES = {"BTC": 97_000 * 10**4, "ETH": 3_400 * 10**4, "USDC": 1 * 10**4}
# (collateral, debt, max_ltv, liquidation_threshold), thresholds in base 10^5.
DEMO_POOLS = [("ETH", "USDC", 75_000, 82_500), ("BTC", "USDC", 70_000, 80_000), ("USDC", "ETH", 75_000, 80_000)]
# calculate_ltv_health targets (10^5 = 1.0) per pool, cycled: ETH and BTC positions a 3-9 % drop from
# liquidation; in the USDC/ETH pool one already liquidatable, which only the swapped check protects.
HEALTH_TARGETS = {
    ("ETH", "USDC"): [103_000, 107_000, 115_000, 160_000],
    ("BTC", "USDC"): [105_000, 109_000, 130_000, 220_000],
    ("USDC", "ETH"): [99_000, 104_000, 140_000],
}
COLLATERAL_SIZES = {"ETH": [5, 12, 3, 20, 8], "BTC": [1, 2, 3, 1, 5], "USDC": [20_000, 50_000, 10_000]}


def principal_for_health(collateral: int, collateral_price: int, threshold: int, debt_price: int, health: int) -> int:
    """The principal at which calculate_ltv_health is about `health` (its truncations and the interest aside):
    health = collateral * collateral_price * threshold / (debt * debt_price)."""
    return collateral * collateral_price * threshold // (health * debt_price)


def seed_nocom_demo(state: NocomState, escrows: int, registered: bool, now: int) -> dict[str, Any]:
    tokens = {symbol: state.create_token(symbol, TOKEN_NAMES[symbol]) for symbol in sorted(DEMO_PRICES)}
    feed = state.create_feed()
    state.set_feed_prices(feed["address"], {tokens[symbol]: price for symbol, price in DEMO_PRICES.items()})
    pools = []
    for collateral, debt, max_ltv, threshold in DEMO_POOLS:
        address = state.create_pool(tokens[collateral], tokens[debt], max_ltv, threshold, feed["address"])
        pools.append({"address": address, "collateralAsset": collateral, "debtAsset": debt,
                      "maxLtv": max_ltv, "liquidationThreshold": threshold})
    loan_epoch = default_loan_epoch(now)
    created = []
    for i in range(escrows):
        pool, round_ = pools[i % len(pools)], i // len(pools)
        collateral_symbol, debt_symbol = pool["collateralAsset"], pool["debtAsset"]
        sizes, targets = COLLATERAL_SIZES[collateral_symbol], HEALTH_TARGETS[(collateral_symbol, debt_symbol)]
        collateral = sizes[round_ % len(sizes)] * UNIT
        principal = principal_for_health(collateral, DEMO_PRICES[collateral_symbol], pool["liquidationThreshold"],
                                         DEMO_PRICES[debt_symbol], targets[round_ % len(targets)])
        escrow = state.create_escrow(pool["address"], collateral, principal, loan_epoch, registered)
        created.append({**escrow, "pool": pool["address"], "collateralAsset": collateral_symbol, "debtAsset": debt_symbol})
    return {"protocol": "nocom-v1", "tokens": tokens, "feed": feed, "pools": pools, "escrows": created}
