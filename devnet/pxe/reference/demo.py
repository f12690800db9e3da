"""Demo seeding: tokens, pools and escrows spread over health factors, some a small price drop from liquidation."""

from __future__ import annotations

import time
from typing import Any

from devnet.pxe.reference import contracts as protocol
from devnet.pxe.reference.prices import PriceUnavailable, ProtocolPrices
from devnet.pxe.reference.state import ReferenceState

UNIT = 10**18  # every demo token has 18 decimals

# 8-decimal prices used to size positions when the price source has none yet.
DEMO_PRICES = {"BTC": 97_000 * 10**8, "ETH": 3_400 * 10**8, "USDC": 1 * 10**8}
# (collateral, debt, max LTV bps, liquidation threshold bps)
DEMO_POOLS = [("ETH", "USDC", 7_500, 8_250), ("BTC", "USDC", 7_000, 8_000)]
# Health factors in thousandths: the first ones fall below 1.0 after a 3-9 % drop of the collateral price.
HEALTH_TARGETS = [1_030, 1_050, 1_070, 1_090, 1_150, 1_300, 1_600, 2_200]
# Collateral per escrow, in whole tokens, cycled.
COLLATERAL_SIZES = {"ETH": [5, 12, 3, 20, 8], "BTC": [1, 2, 3, 1, 5]}


def debt_for_health(collateral: int, collateral_price: int, threshold_bps: int, debt_price: int, health_milli: int) -> int:
    """The principal at which the position's health factor is health_milli / 1000 (rounded up to stay below it)."""
    numerator = collateral * collateral_price * threshold_bps * 1000
    denominator = health_milli * debt_price * protocol.MAX_BPS
    return -(-numerator // denominator)


async def seed_demo(state: ReferenceState, prices: ProtocolPrices, escrows: int = 8, registered: bool = False) -> dict[str, Any]:
    symbols = sorted(DEMO_PRICES)
    if prices.static is not None:
        missing = {s: p for s, p in DEMO_PRICES.items() if not prices.static.table.get(s)}
        prices.static.set(missing)
    try:
        current = await prices.get_prices(symbols)
    except PriceUnavailable:
        current = {}  # the chain is not up yet: size positions on the demo prices
    sizing = {s: current.get(s) or DEMO_PRICES[s] for s in symbols}

    tokens = {symbol: state.create_token(symbol) for symbol in symbols}
    pools = []
    for collateral, debt, max_ltv, threshold in DEMO_POOLS:
        address = state.create_pool(tokens[collateral], tokens[debt], max_ltv, threshold)
        pools.append({"address": address, "collateralAsset": collateral, "debtAsset": debt,
                      "maxLtvBps": max_ltv, "liquidationThresholdBps": threshold})

    epoch = protocol.current_epoch_end(int(time.time()))
    created = []
    for i in range(escrows):
        pool = pools[i % len(pools)]
        collateral_symbol, debt_symbol = pool["collateralAsset"], pool["debtAsset"]
        sizes = COLLATERAL_SIZES[collateral_symbol]
        collateral = sizes[(i // len(pools)) % len(sizes)] * UNIT
        health = HEALTH_TARGETS[i % len(HEALTH_TARGETS)]
        principal = debt_for_health(
            collateral, sizing[collateral_symbol], pool["liquidationThresholdBps"], sizing[debt_symbol], health
        )
        escrow = state.create_escrow(pool["address"], collateral, principal, epoch, registered)
        created.append({**escrow, "pool": pool["address"], "collateralAsset": collateral_symbol, "debtAsset": debt_symbol})
    return {"tokens": tokens, "pools": pools, "escrows": created}
