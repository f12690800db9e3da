"""What every protocol module shares: the outcome of a liquidation and how a health factor is shown."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Context, Decimal

HF_CONTEXT = Context(prec=60)
_HF_DISPLAY = Decimal("0.0001")


@dataclass(frozen=True)
class Liquidation:
    repay: int
    seized: int  # leaves the collateral note
    bonus: int
    fee: int  # the protocol's share of the bonus
    liquidator_receives: int


def format_health_factor(hf: Decimal | None) -> str:
    """Four decimals, rounded down so a liquidatable position never reads as 1.0000."""
    if hf is None:
        return "Infinity"
    return str(hf.quantize(_HF_DISPLAY, rounding=ROUND_DOWN))
