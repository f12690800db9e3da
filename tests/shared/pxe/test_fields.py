"""shared.pxe field encoding: integers, addresses and symbols as Aztec field elements."""

from __future__ import annotations

import pytest

from shared.pxe import field_to_symbol, from_field, normalize_address, symbol_to_field, to_field


def test_field_encoding() -> None:
    assert to_field(0) == "0x" + "0" * 64
    assert to_field(255) == "0x" + "0" * 62 + "ff"
    assert to_field("0xABC") == "0x" + "0" * 61 + "abc"
    assert to_field("1000") == to_field(1000)
    assert from_field(to_field(2**253 + 5)) == 2**253 + 5
    for bad in (-1, 2**254, "0x", "0xzz", "12a", 1.5, True):
        with pytest.raises(ValueError):
            to_field(bad)  # type: ignore[arg-type]


def test_address_normalisation() -> None:
    assert normalize_address("0xAbC") == "0x" + "0" * 61 + "abc"
    assert normalize_address("0x" + "F" * 64) == "0x" + "f" * 64
    for bad in ("abc", "0x", "0x" + "1" * 65, "0xg1", ""):
        with pytest.raises(ValueError, match="0x followed by 1 to 64 hex digits"):
            normalize_address(bad)


def test_symbols_are_ascii_big_endian_in_a_field() -> None:
    assert symbol_to_field("BTC") == to_field(0x425443)
    assert field_to_symbol(symbol_to_field("USDC")) == "USDC"
    assert field_to_symbol(0x455448) == "ETH"
    with pytest.raises(ValueError):
        symbol_to_field("X" * 32)
