"""Field elements and Aztec addresses on the wire: "0x" + 64 lower-case hex digits (docs/pxe-jsonrpc.md)."""

from __future__ import annotations

import re

FIELD_LIMIT = 2**254  # every value below fits the BN254 scalar field
MAX_SYMBOL_BYTES = 31  # a symbol must fit one field element

_HEX = re.compile(r"^0x[0-9a-fA-F]{1,64}$")


def to_field(value: int | str) -> str:
    """An int (0 <= v < 2**254), a "0x" hex string or a decimal string, as a canonical field string."""
    if isinstance(value, bool):
        raise ValueError("a field element must be an integer or a hex string, not a bool")
    if isinstance(value, str):
        value = _parse_str(value)
    if not isinstance(value, int):
        raise ValueError(f"a field element must be an integer or a hex string, not {type(value).__name__}")
    if not 0 <= value < FIELD_LIMIT:
        raise ValueError("a field element must be >= 0 and < 2**254")
    return f"0x{value:064x}"


def from_field(value: str | int) -> int:
    """The integer a field string (or int) stands for."""
    if isinstance(value, bool):
        raise ValueError("a field element must be an integer or a hex string, not a bool")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        number = _parse_str(value)
    else:
        raise ValueError(f"a field element must be an integer or a hex string, not {type(value).__name__}")
    if not 0 <= number < FIELD_LIMIT:
        raise ValueError("a field element must be >= 0 and < 2**254")
    return number


def normalize_address(value: str) -> str:
    """An Aztec address ("0x" + 1..64 hex digits, any case) left-padded to 64 lower-case digits."""
    if not isinstance(value, str) or not _HEX.match(value.strip()):
        raise ValueError("an address must be 0x followed by 1 to 64 hex digits")
    return "0x" + value.strip()[2:].lower().rjust(64, "0")


def symbol_to_field(symbol: str) -> str:
    """An ASCII symbol as a field, big-endian ("BTC" -> 0x...425443)."""
    try:
        raw = symbol.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError("a symbol must be ASCII") from None
    if not raw or len(raw) > MAX_SYMBOL_BYTES or b"\x00" in raw:
        raise ValueError(f"a symbol must be 1 to {MAX_SYMBOL_BYTES} ASCII characters")
    return to_field(int.from_bytes(raw, "big"))


def field_to_symbol(value: str | int) -> str:
    """The ASCII symbol held big-endian in a field: packed (reference tokens) or, as an aztec-nr
    FieldCompressedString, padded with zero bytes on the right (nocom-v1's token `symbol()`)."""
    number = from_field(value)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big").rstrip(b"\x00")
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("the field does not hold an ASCII symbol") from None


def _parse_str(value: str) -> int:
    text = value.strip()
    if text[:2].lower() == "0x":
        if not _HEX.match("0x" + text[2:]):
            raise ValueError("a hex field must be 0x followed by 1 to 64 hex digits")
        return int(text[2:], 16)
    if text.isdigit():
        return int(text)
    raise ValueError("a field element must be 0x-prefixed hex or a decimal integer string")
