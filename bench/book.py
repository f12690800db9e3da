"""A synthetic book of healthy positions for the benches: deterministic, spread in health.

The debts are spread so that the positions' liquidation prices spread too (an index over identical
keys would be measured at its best case); every one stays healthy at the bench's low price, so only
the at-risk escrows the bench creates in the dev PXE are ever liquidated.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from shared.positions import Position

E18 = 10**18
P8 = 10**8
HIGH, LOW = 60_000 * P8, 55_000 * P8
THRESHOLD_BPS = 8000
AT_RISK_DEBT = 46_000 * E18  # health 0.956 at LOW, 1.04 at HIGH (one BTC of collateral)
HEALTHY_DEBTS = (10_000 * E18, 43_000 * E18)  # health 4.4 down to 1.023 at LOW
SEED = 20261129


def synthetic_address(i: int) -> str:
    return f"0x{0x5E000000_00000000 + i:064x}"


def healthy_positions(count: int, pool: str, collateral_token: str, debt_token: str, epoch: int, now: int,
                      block: int, next_version: Callable[[], int]) -> Iterator[Position]:
    """`count` healthy BTC/USDC positions, each stamped with the next version of the index they go to."""
    rng = random.Random(SEED)
    low, high = HEALTHY_DEBTS
    for i in range(count):
        collateral = E18 + rng.randrange(0, E18)  # 1 to 2 BTC
        debt = rng.randrange(low, high) * collateral // E18
        yield Position(synthetic_address(i), pool, "BTC", collateral_token, collateral, "USDC", debt_token, debt, epoch,
                       THRESHOLD_BPS, now, block, next_version())
