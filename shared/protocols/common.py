"""What every protocol module shares: the outcome of a liquidation and how a health factor is shown."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Context, Decimal

HF_CONTEXT = Context(prec=60)
_HF_DISPLAY = Decimal("0.0001")


@dataclass(frozen=True)
class ReadShapes:
    """Where the protocol's contracts put what the monitor reads (utility results, flattened)."""

    escrow_config_fields: int  # escrow get_config()
    escrow_pool_index: int
    pool_config_fields: int  # pool get_config()
    pool_collateral_index: int
    pool_debt_index: int
    pool_max_ltv_index: int
    pool_threshold_index: int
    symbol_function: str  # the token's symbol read
    symbol_is_view: bool  # a public view (pxe_simulateView) rather than a utility function


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
