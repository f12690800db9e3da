"""Conversions between exact integer units and their decimal-string display form.

PRICE_DECIMALS is the suite's own price unit: every quote, the mock source and the reference protocol's
PriceOracle hold prices with 8 decimals. A protocol whose feed keeps other decimals says so in its
module (nocom-v1: 4), and the price service converts at the feed.
"""

from __future__ import annotations

from decimal import Decimal

PRICE_DECIMALS = 8
PRICE_SCALE = 10**PRICE_DECIMALS


def format_units(value: int, decimals: int) -> str:
    """An exact decimal string without trailing zeros: 9700050000000 (8 dp) -> "97000.5"."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 10**decimals)
    frac_text = str(frac).rjust(decimals, "0").rstrip("0") if decimals else ""
    return f"{sign}{whole}.{frac_text}" if frac_text else f"{sign}{whole}"


def format_price(value: int) -> str:
    return format_units(value, PRICE_DECIMALS)


def parse_price(text: str) -> int:
    """A decimal string to 8-decimal integer units; more precision than 8 decimals is an error."""
    amount = Decimal(text)
    if not amount.is_finite():
        raise ValueError("price must be a finite number")
    scaled = amount * PRICE_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError("price has more than 8 decimals")
    return int(scaled)
