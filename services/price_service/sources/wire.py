"""Parsing every HTTP price source shares: exact JSON numbers, timestamps, Retry-After, SYM=id lists."""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from services.price_service.sources.base import to_price_units

SYMBOL_PATTERN = re.compile(r"[A-Z0-9]{1,15}")
_MAX_ECHO = 40


def parse_json(content: bytes) -> Any:
    """The body with every fractional or exponent number as a Decimal (1.23e-05 stays exact).

    None when the body is not JSON at all. NaN and Infinity literals become Decimal too, so the
    price check refuses them instead of a float slipping through.
    """
    try:
        return json.loads(content, parse_float=Decimal, parse_constant=Decimal)
    except (ValueError, UnicodeDecodeError):
        return None


def as_decimal(raw: Any) -> Decimal | str:
    """A JSON price as something `to_price_units` takes; bools, floats and containers are refused."""
    if isinstance(raw, bool):
        raise ValueError("price is not a number")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, (Decimal, str)):
        return raw
    raise ValueError("price is not a number")


def price_units(raw: Any) -> int:
    """A JSON price (number or decimal string) as 8-decimal units, exactly; ValueError says why not."""
    if raw is None:
        raise ValueError("price is missing")
    return to_price_units(as_decimal(raw))


def iso_to_unix(value: Any) -> int | None:
    """'2024-11-14T22:12:59.123456Z' -> unix seconds (fraction dropped); None when unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return calendar.timegm(moment.utctimetuple())


def unix_seconds(value: Any) -> int | None:
    """A JSON unix timestamp (integer seconds) or None; bools and fractions are not timestamps."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def parse_symbol_map(
    setting: str,
    raw: str,
    value_pattern: re.Pattern[str],
    value_hint: str,
    *,
    normalise: Callable[[str], str] = str.strip,
) -> dict[str, str]:
    """`BTC=bitcoin,ETH=ethereum` -> {"BTC": "bitcoin", "ETH": "ethereum"}; ValueError names the setting.

    Symbols are 1-15 of A-Z0-9 (upper-cased); a symbol given twice is refused, because
    which of the two ids was meant cannot be known.
    """
    result: dict[str, str] = {}
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        symbol, sep, value = (s.strip() for s in entry.partition("="))
        shown = entry[:_MAX_ECHO]
        if not sep:
            raise ValueError(f"{setting}: '{shown}' is not SYMBOL=value")
        symbol = symbol.upper()
        if not SYMBOL_PATTERN.fullmatch(symbol):
            raise ValueError(f"{setting}: '{shown}': the symbol must be 1-15 of A-Z0-9")
        value = normalise(value)
        if not value_pattern.fullmatch(value):
            raise ValueError(f"{setting}: '{shown}': {value_hint}")
        if symbol in result:
            raise ValueError(f"{setting}: {symbol} is given twice")
        result[symbol] = value
    return result


def normalise_symbols(symbols: list[str]) -> list[str]:
    """Upper-case, stripped, empty ones dropped, first occurrence kept."""
    return list(dict.fromkeys(s.strip().upper() for s in symbols if s.strip()))
