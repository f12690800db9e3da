"""Shared by the consensus tests: quotes at a fixed clock and the rules the keeper applies by default."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.price_service.consensus import Agreed, NoPrice, consensus_for
from services.price_service.sources.base import Quote

NOW = 1_731_622_420
UNIT = 10**8
RULES: dict[str, Any] = {"now": NOW, "min_sources": 2, "max_spread_pct": Decimal("2"), "max_age": 300}


def usd(amount: str) -> int:
    return int(Decimal(amount) * UNIT)


def quotes(symbol: str = "BTC", age: int = 10, **prices: str | None) -> dict[str, Quote | None]:
    return {
        source: None if price is None else Quote(symbol=symbol, price=usd(price), timestamp=NOW - age, source=source)
        for source, price in prices.items()
    }


def decide(by_source: Mapping[str, Quote | None], **overrides: Any) -> Agreed | NoPrice:
    return consensus_for("BTC", by_source, **{**RULES, **overrides})


def has_float(value: Any) -> bool:
    """Whether a float hides anywhere in a JSON-shaped value."""
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(has_float(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_float(v) for v in value)
    return False
