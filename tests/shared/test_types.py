"""The validated wire types: what the OpenAPI says is exactly what is accepted."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, ValidationError

from shared.types import Address, DecimalString, FieldSecret, Symbol, TxHash


class Body(BaseModel):
    symbol: Symbol | None = None
    address: Address | None = None
    tx: TxHash | None = None
    amount: DecimalString | None = None
    secret: FieldSecret | None = None


@pytest.mark.parametrize("raw", ["ßT9", "ıX9", "ﬀX", "Ⅻ", " BTC", "BTC ", "BTC\n", "", "A" * 16, "BT-C"])
def test_symbols_are_checked_as_ascii_before_upper_casing(raw: str) -> None:
    with pytest.raises(ValidationError, match="symbol must be 1-15 characters of A-Z and 0-9"):
        Body(symbol=raw)


def test_symbols_are_upper_cased_and_addresses_padded() -> None:
    body = Body(symbol="eth2", address="0xAB", tx="0xABCD", amount="97000.5", secret="0x1")
    assert body.symbol == "ETH2"
    assert body.address == "0x" + "0" * 62 + "ab"
    assert body.tx == "0xabcd" and body.amount == "97000.5"
    assert body.secret == "0x" + "0" * 63 + "1"


def test_a_secret_too_large_for_a_field_is_refused_without_echoing_it() -> None:
    secret = "0x" + "f" * 64
    with pytest.raises(ValidationError) as caught:
        Body(secret=secret)
    assert "below 2**254" in str(caught.value)
    assert all(secret not in str(e.get("msg")) for e in caught.value.errors())


@pytest.mark.parametrize("field", ["symbol", "address", "tx", "amount", "secret"])
def test_the_schema_pattern_accepts_exactly_what_validation_accepts(field: str) -> None:
    pattern = re.compile(Body.model_json_schema()["properties"][field]["anyOf"][0]["pattern"])
    largest_field = f"0x{2**254 - 1:064x}"
    samples = ["BTC", "btc", "0x1", "0xAB", "97000.5", "1", "0x" + "f" * 64, "ß", "1.", "-1", "0x", "BTC\n",
               " 0x1", "0x1 ", "0x1\n", largest_field, f"0x{2**254:064x}", "0x" + "0" * 64, "0x" + "1" * 65]
    for sample in samples:
        try:
            Body(**{field: sample})
            accepted = True
        except ValidationError:
            accepted = False
        # Both ways: never accept what the schema forbids, never refuse what it allows.
        assert accepted == bool(pattern.fullmatch(sample)), (field, sample, accepted)
