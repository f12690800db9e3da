"""When a price goes on-chain (docs/money-math.md, when a price is pushed) and when a jump waits for confirmation.

Pure functions on exact integers: prices have 8 decimals, thresholds are percents given
as Decimal and compared through Fraction so no rounding ever moves a boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

Reason = Literal["initial", "deviation", "heartbeat"]


@dataclass(frozen=True)
class Decision:
    due: bool
    reason: Reason | None
    change_pct: Fraction | None  # None when there is no on-chain price to compare with
    seconds_since_update: int | None


def change_percent(new: int, old: int) -> Fraction:
    return Fraction(abs(new - old) * 100, old)


def decide(new_price: int, onchain_price: int, onchain_updated_at: int, now: int,
           threshold_pct: Decimal, heartbeat_s: float) -> Decision:
    if onchain_price <= 0 or onchain_updated_at <= 0:
        return Decision(True, "initial", None, None)
    change = change_percent(new_price, onchain_price)
    since = max(0, now - onchain_updated_at)
    if change >= Fraction(threshold_pct):
        return Decision(True, "deviation", change, since)
    if Fraction(since) >= Fraction(Decimal(str(heartbeat_s))):
        return Decision(True, "heartbeat", change, since)
    return Decision(False, None, change, since)


def is_jump(new_price: int, onchain_price: int, max_jump_pct: Decimal) -> bool:
    """A move of more than MAX_PRICE_JUMP percent from the on-chain price is suspect."""
    return onchain_price > 0 and change_percent(new_price, onchain_price) > Fraction(max_jump_pct)


def jump_confirmed(new_price: int, suspect_price: int, onchain_price: int, max_jump_pct: Decimal) -> bool:
    """The next poll confirms a jump when it again lies beyond the limit, on the same side."""
    same_side = (new_price > onchain_price) == (suspect_price > onchain_price)
    return same_side and is_jump(new_price, onchain_price, max_jump_pct)
