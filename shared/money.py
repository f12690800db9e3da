"""The lending protocol's money math with exact integers, as the contracts do it (SPEC section 7).

Amounts are integers in base units, prices integers with 8 decimals, ratios basis points.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Context, Decimal

EPOCH_LENGTH = 900
BORROW_RATE_TENTHS = 50  # 5.0 % a year
WAD = 10**18
INTEREST_BASE = 10**9
SECONDS_PER_YEAR = 31_536_000
LIQUIDATION_BONUS_BPS = 1000
PROTOCOL_FEE_BPS = 1000
CLOSE_FACTOR_BPS = 5000
BPS = 10_000

_RATE_PER_SECOND = BORROW_RATE_TENTHS * WAD // (1000 * SECONDS_PER_YEAR)
_HF_CONTEXT = Context(prec=60)
_HF_DISPLAY = Decimal("0.0001")


def next_epoch(now: int) -> int:
    return now // EPOCH_LENGTH + 1


def interest(principal: int, start_epoch: int, end_epoch: int) -> int:
    """Interest accrued from start_epoch to end_epoch: a third-order binomial approximation of compounding."""
    if end_epoch <= start_epoch:
        return 0
    r = _RATE_PER_SECOND
    dt = (end_epoch - start_epoch) * EPOCH_LENGTH
    b2 = r * r // WAD
    b3 = b2 * r // WAD
    offset = (dt * r + dt * (dt - 1) * b2 // 2 + dt * (dt - 1) * max(dt - 2, 0) * b3 // 6) // (WAD // INTEREST_BASE)
    return principal * offset // INTEREST_BASE


def total_debt(principal: int, loan_epoch: int, now: int) -> int:
    return principal + interest(principal, loan_epoch, next_epoch(now))


def is_liquidatable(collateral_amount: int, collateral_price: int, threshold_bps: int, debt: int, debt_price: int) -> bool:
    return debt > 0 and collateral_amount * collateral_price * threshold_bps < debt * debt_price * BPS


def health_factor(
    collateral_amount: int, collateral_price: int, threshold_bps: int, debt: int, debt_price: int
) -> Decimal | None:
    """Risk-adjusted collateral value over debt value; None stands for Infinity (no debt or worthless debt)."""
    denominator = debt * debt_price * BPS
    if denominator <= 0:
        return None
    return _HF_CONTEXT.divide(Decimal(collateral_amount * collateral_price * threshold_bps), Decimal(denominator))


def format_health_factor(hf: Decimal | None) -> str:
    """Four decimals, rounded down so a liquidatable position never reads as 1.0000."""
    if hf is None:
        return "Infinity"
    return str(hf.quantize(_HF_DISPLAY, rounding=ROUND_DOWN))


@dataclass(frozen=True)
class Liquidation:
    repay: int
    seized: int
    bonus: int
    fee: int
    liquidator_receives: int


def seizure(repay: int, collateral_price: int, debt_price: int) -> Liquidation:
    """The collateral a repayment of `repay` debt units seizes at these prices."""
    if collateral_price <= 0:
        raise ValueError("collateral price must be positive")
    base = repay * debt_price // collateral_price
    bonus = base * LIQUIDATION_BONUS_BPS // BPS
    fee = bonus * PROTOCOL_FEE_BPS // BPS
    seized = base + bonus
    return Liquidation(repay=repay, seized=seized, bonus=bonus, fee=fee, liquidator_receives=seized - fee)


def max_repay(collateral_amount: int, collateral_price: int, debt: int, debt_price: int) -> int:
    """The largest repay within the close factor (repay <= debt // 2) whose seizure fits the collateral."""
    close_factor_cap = debt * CLOSE_FACTOR_BPS // BPS
    if close_factor_cap <= 0 or collateral_price <= 0 or collateral_amount < 0:
        return 0
    if debt_price <= 0:
        return close_factor_cap  # worthless debt seizes nothing
    # Largest base b with b + b * bonus // BPS <= collateral (seized grows with base, so search near the ratio).
    base = collateral_amount * BPS // (BPS + LIQUIDATION_BONUS_BPS)
    while base + 1 + (base + 1) * LIQUIDATION_BONUS_BPS // BPS <= collateral_amount:
        base += 1
    while base > 0 and base + base * LIQUIDATION_BONUS_BPS // BPS > collateral_amount:
        base -= 1
    # Largest repay with repay * debt_price // collateral_price <= base.
    collateral_cap = ((base + 1) * collateral_price - 1) // debt_price
    return min(close_factor_cap, collateral_cap)
