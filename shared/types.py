"""Validated wire types shared by the three APIs (docs/http-api.md), each with its rule in the OpenAPI.

Use them as field or parameter annotations; the JSON schema pattern is exactly what is accepted,
so generated clients and the services agree.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StrictInt, WithJsonSchema

from shared.pxe.fields import normalize_address

SYMBOL_PATTERN = r"^[A-Za-z0-9]{1,15}$"
HEX_PATTERN = r"^0x[0-9a-fA-F]{1,64}$"
# A field element (below 2**254 = 0x4 followed by 63 zeros): up to 63 hex digits, or 64 starting 0-3.
FIELD_PATTERN = r"^0x([0-9a-fA-F]{1,63}|[0-3][0-9a-fA-F]{63})$"
DECIMAL_PATTERN = r"^[0-9]{1,30}(\.[0-9]{1,18})?$"
INTEGER_PATTERN = r"^[0-9]{1,78}$"

_SYMBOL = re.compile(SYMBOL_PATTERN)
_HEX = re.compile(HEX_PATTERN)
_FIELD = re.compile(FIELD_PATTERN)
_DECIMAL = re.compile(DECIMAL_PATTERN)


def normalize_symbol(value: str) -> str:
    """1-15 ASCII letters and digits, upper-cased. ASCII is checked first: "ß".upper() is "SS"."""
    if not isinstance(value, str) or not _SYMBOL.fullmatch(value):
        raise ValueError("symbol must be 1-15 characters of A-Z and 0-9")
    return value.upper()


def _tx_hash(value: str) -> str:
    if not _HEX.fullmatch(value):
        raise ValueError("must be 0x followed by 1 to 64 hex digits")
    return value.lower()


def _decimal(value: str) -> str:
    if not _DECIMAL.fullmatch(value):
        raise ValueError('must be a decimal string such as "97000.5"')
    return value


def _address(value: str) -> str:
    # The pattern exactly: no surrounding whitespace (normalize_address alone would strip it).
    if not _HEX.fullmatch(value):
        raise ValueError("an address must be 0x followed by 1 to 64 hex digits")
    return normalize_address(value)


def _field_secret(value: str) -> str:
    # The message never repeats the value: it may be a secret key.
    if not isinstance(value, str) or not _FIELD.fullmatch(value):
        raise ValueError("must be a field element: 0x followed by 1 to 64 hex digits, below 2**254")
    return f"0x{int(value[2:], 16):064x}"  # below FIELD_LIMIT, as FIELD_PATTERN says


def _whole_number(value: object) -> object:
    # JSON has numbers, not ints and floats: 1750000000.0 is the integer the schema allows, "1750000000"
    # and true are not (left for StrictInt to refuse), nor is 1.5.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _schema(pattern: str, description: str, example: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": pattern, "description": description, "examples": [example]})


Symbol = Annotated[str, AfterValidator(normalize_symbol),
                   _schema(SYMBOL_PATTERN, "1-15 ASCII letters and digits; lower case is upper-cased", "BTC")]
Address = Annotated[str, AfterValidator(_address),
                    _schema(HEX_PATTERN, "Aztec address, stored left-padded to 64 hex digits", "0x2a")]
TxHash = Annotated[str, AfterValidator(_tx_hash), _schema(HEX_PATTERN, "transaction hash", "0x" + "ab" * 32)]
DecimalString = Annotated[str, AfterValidator(_decimal),
                          _schema(DECIMAL_PATTERN, "a non-negative decimal string, never a JSON number", "97000.5")]
FieldSecret = Annotated[str, AfterValidator(_field_secret),
                        _schema(FIELD_PATTERN, "a field element below 2**254; never stored or returned", "0x1")]
# A JSON integer ("type": "integer"): any number without a fraction, 7.0 included; never a string or a bool.
WholeNumber = Annotated[StrictInt, BeforeValidator(_whole_number)]
# Token amounts in base units: integers too large for JSON numbers, so decimal strings.
Amount = Annotated[str, _schema(INTEGER_PATTERN, "an integer in base units", "1500000000000000000")]
