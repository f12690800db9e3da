"""Asset symbols as the HTTP APIs accept them (SPEC section 3): 1-15 of A-Z and 0-9, upper-cased."""

from __future__ import annotations

import re

SYMBOL_RE = re.compile(r"^[A-Z0-9]{1,15}$")


def normalize_symbol(value: str) -> str:
    symbol = value.strip().upper()
    if not SYMBOL_RE.fullmatch(symbol):
        raise ValueError("symbol must be 1-15 characters of A-Z and 0-9")
    return symbol
