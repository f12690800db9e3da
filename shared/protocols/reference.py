"""The reference lending protocol: our own model of the contracts (docs/money-math.md, reference), exact integers.

Amounts are integers in base units, prices integers with 8 decimals (the EVM PriceOracle), the
liquidation threshold in basis points. The dev PXE holds an independent transcription of the
same rules (devnet/pxe/protocol.py); property tests compare the two.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from shared import units
from shared.feeds.kinds import EVM_ORACLE
from shared.protocols.common import HF_CONTEXT, Liquidation, ReadShapes

NAME = "reference"
PRICE_FEED = EVM_ORACLE  # the PriceOracle contract on RPC_URL
PRICE_DECIMALS = units.PRICE_DECIMALS
ANCHOR_LAG = 0  # the dev PXE and our model use the moment of execution
THRESHOLD_BASE = 10_000  # basis points
EPOCH_LENGTH = 900
BORROW_RATE_TENTHS = 50  # 5.0 % a year
WAD = 10**18
INTEREST_BASE = 10**9
SECONDS_PER_YEAR = 31_536_000
LIQUIDATION_BONUS_BPS = 1000
PROTOCOL_FEE_BPS = 1000
CLOSE_FACTOR_BPS = 5000
BPS = 10_000

# docs/pxe-jsonrpc.md: escrow get_config() -> [pool]; pool get_config() -> [collateral, debt, maxLtv, threshold].
READS = ReadShapes(escrow_config_fields=1, escrow_pool_index=0, pool_config_fields=4, pool_collateral_index=0,
                   pool_debt_index=1, pool_max_ltv_index=2, pool_threshold_index=3,
                   symbol_function="get_symbol", symbol_is_view=False)

# Revert reasons (docs/money-math.md, what a liquidation sends).
POSITION_HEALTHY = "Position healthy, cannot liquidate"
OVER_CLOSE_FACTOR = "Cannot repay more than 50% of total borrowed"
INSUFFICIENT_COLLATERAL = "Insufficient collateral"
PRICE_MISMATCH_REASONS = frozenset({"Price mismatch"})

_RATE_PER_SECOND = BORROW_RATE_TENTHS * WAD // (1000 * SECONDS_PER_YEAR)


def next_epoch(now: int) -> int:
    """docs/money-math.md, reference: `now // EPOCH_LENGTH + 1`."""
    return now // EPOCH_LENGTH + 1


def interest_offset(start_epoch: int, end_epoch: int) -> int:
    """docs/money-math.md, reference interest: the binomial offset in INTEREST_BASE units, so that
    interest(principal) = principal * offset // INTEREST_BASE for every principal."""
    if end_epoch <= start_epoch:
        return 0
    r = _RATE_PER_SECOND
    dt = (end_epoch - start_epoch) * EPOCH_LENGTH
    b2 = r * r // WAD
    b3 = b2 * r // WAD
    return (dt * r + dt * (dt - 1) * b2 // 2 + dt * (dt - 1) * max(dt - 2, 0) * b3 // 6) // (WAD // INTEREST_BASE)


def interest(principal: int, start_epoch: int, end_epoch: int) -> int:
    return principal * interest_offset(start_epoch, end_epoch) // INTEREST_BASE


def total_debt(principal: int, debt_epoch: int, now: int) -> int:
    return principal + interest(principal, debt_epoch, next_epoch(now))


def is_liquidatable(collateral_amount: int, collateral_price: int, threshold: int, debt: int, debt_price: int) -> bool:
    return debt > 0 and collateral_amount * collateral_price * threshold < debt * debt_price * BPS


def liquidation_test(collateral_price: int, debt_price: int) -> Callable[[int, int, int], bool]:
    """`is_liquidatable` with the prices bound, for scanning many positions at one pair of prices."""
    debt_scale = debt_price * BPS

    def test(collateral_amount: int, threshold: int, debt: int) -> bool:
        return debt > 0 and collateral_amount * collateral_price * threshold < debt * debt_scale

    return test


def ratio_bound(collateral_amount: int, threshold: int, debt: int, debt_price_floor: int) -> tuple[int, int] | None:
    """(num, den): liquidatable at prices (cp, dp) only if cp / dp < num / den; None: at any prices.
    Exact here: collateral * cp * threshold < debt * dp * BPS."""
    if collateral_amount * threshold <= 0:
        return None
    return debt * BPS, collateral_amount * threshold


def health_factor(collateral_amount: int, collateral_price: int, threshold: int, debt: int, debt_price: int) -> Decimal | None:
    """Risk-adjusted collateral value over debt value; None stands for Infinity (no debt or worthless debt)."""
    denominator = debt * debt_price * BPS
    if denominator <= 0:
        return None
    return HF_CONTEXT.divide(Decimal(collateral_amount * collateral_price * threshold), Decimal(denominator))


def seizure(repay: int, collateral_price: int, debt_price: int) -> Liquidation:
    """docs/money-math.md, reference seizure: the collateral a repayment of `repay` debt units seizes at these prices."""
    if collateral_price <= 0:
        raise ValueError("collateral price must be positive")
    base = repay * debt_price // collateral_price
    bonus = base * LIQUIDATION_BONUS_BPS // BPS
    fee = bonus * PROTOCOL_FEE_BPS // BPS
    seized = base + bonus
    return Liquidation(repay=repay, seized=seized, bonus=bonus, fee=fee, liquidator_receives=seized - fee)


def close_factor_cap(debt: int) -> int:
    """docs/money-math.md, reference close factor: repay <= total_debt // 2."""
    return debt * CLOSE_FACTOR_BPS // BPS


def max_repay(collateral_amount: int, collateral_price: int, debt: int, debt_price: int) -> int:
    """The largest repay within the close factor whose seizure fits the collateral (closed form; a
    property test checks it against a search over `seizure`)."""
    cap = close_factor_cap(debt)
    if cap <= 0 or collateral_price <= 0 or collateral_amount < 0:
        return 0
    if debt_price <= 0:
        return cap  # worthless debt seizes nothing
    # Largest base b with b + b * bonus // BPS <= collateral (seized grows with base: search near the ratio).
    base = collateral_amount * BPS // (BPS + LIQUIDATION_BONUS_BPS)
    while base + 1 + (base + 1) * LIQUIDATION_BONUS_BPS // BPS <= collateral_amount:
        base += 1
    while base > 0 and base + base * LIQUIDATION_BONUS_BPS // BPS > collateral_amount:
        base -= 1
    # Largest repay with repay * debt_price // collateral_price <= base.
    return min(cap, ((base + 1) * collateral_price - 1) // debt_price)


def price_check_passes(feed_collateral: int, feed_debt: int, asserted_collateral: int, asserted_debt: int) -> bool:
    """docs/money-math.md, reference price check: oracle(collateral) >= asserted collateral and oracle(debt) <= asserted debt."""
    return 0 < asserted_collateral <= feed_collateral and 0 < feed_debt <= asserted_debt


def loan_after_liquidation(debt: int, repay: int, now: int) -> tuple[int, int]:
    """The loan note a liquidation leaves: (principal, epoch)."""
    return debt - repay, next_epoch(now)
