"""Asset keys and calldata encoding (no chain needed)."""

from __future__ import annotations

import pytest
from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector

from services.price_service.evm.oracle import PriceOracle, load_artifact
from shared.feeds.evm_oracle import asset_key, symbol_from_key


def test_asset_key_is_upper_case_ascii_right_padded_to_32() -> None:
    assert asset_key("BTC") == b"BTC" + b"\x00" * 29
    assert asset_key("BTC").hex() == "4254430000000000000000000000000000000000000000000000000000000000"
    assert len(asset_key("A")) == 32
    assert asset_key("1INCH") == b"1INCH".ljust(32, b"\x00")
    assert asset_key("X" * 32) == b"X" * 32
    assert asset_key("eth") == asset_key("ETH")  # lower case is upper-cased, as the API does


@pytest.mark.parametrize("bad", ["", "X" * 33, "BT C", "BTC\x00", "ÉTH", " BTC", "-BTC", "BTC/USD"])
def test_asset_key_rejects_invalid_symbols(bad: str) -> None:
    with pytest.raises(ValueError):
        asset_key(bad)


def test_asset_key_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        asset_key(b"BTC")  # type: ignore[arg-type]


def test_symbol_round_trip() -> None:
    for symbol in ("BTC", "ETH", "USDC", "X" * 32):
        assert symbol_from_key(asset_key(symbol)) == symbol
        assert symbol_from_key("0x" + asset_key(symbol).hex()) == symbol


def test_set_prices_calldata() -> None:
    data = PriceOracle.encode_set_prices({"BTC": (9_700_000_000_000, 1_764_000_000), "ETH": (350_000_000_000, 1_764_000_007)})
    assert data[:4].hex() == "01f90b69"  # setPrices(bytes32[],uint256[],uint64[])
    keys, prices, observed_at = decode(["bytes32[]", "uint256[]", "uint64[]"], data[4:])
    assert list(keys) == [asset_key("BTC"), asset_key("ETH")]
    assert list(prices) == [9_700_000_000_000, 350_000_000_000]
    assert list(observed_at) == [1_764_000_000, 1_764_000_007]


def test_set_prices_selector_is_the_artifacts() -> None:
    abi = next(e for e in load_artifact()["abi"] if e.get("name") == "setPrices")
    signature = "setPrices(" + ",".join(i["type"] for i in abi["inputs"]) + ")"
    assert PriceOracle.encode_set_prices({})[:4] == function_signature_to_4byte_selector(signature)


@pytest.mark.parametrize("price", [-1, 1.5, "100", True, 2**192])
def test_set_prices_rejects_non_integer_or_out_of_range_prices(price: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        PriceOracle.encode_set_prices({"BTC": (price, 1)})  # type: ignore[dict-item]


@pytest.mark.parametrize("observed_at", [-1, 1.5, "1", False, 2**64])
def test_set_prices_rejects_non_integer_or_out_of_range_observation_times(observed_at: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        PriceOracle.encode_set_prices({"BTC": (1, observed_at)})  # type: ignore[dict-item]


@pytest.mark.parametrize("entry", [100, (100,), (100, 1, 2), [100, 1]])
def test_set_prices_wants_a_price_and_observation_time_pair(entry: object) -> None:
    with pytest.raises(TypeError, match="observedAt"):
        PriceOracle.encode_set_prices({"BTC": entry})  # type: ignore[dict-item]
