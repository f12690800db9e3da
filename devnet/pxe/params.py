"""The development PXE's JSON-RPC params turned into typed values, or InvalidInput saying which one is wrong."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from devnet.pxe.rpc_errors import InvalidInput
from devnet.pxe.txs import ContractCall
from shared.pxe.fields import from_field, normalize_address, to_field


def arity(params: list[Any], least: int, most: int | None = None) -> list[Any]:
    most = least if most is None else most
    if not least <= len(params) <= most:
        expected = str(least) if least == most else f"{least} to {most}"
        raise InvalidInput(f"Expected {expected} params, got {len(params)}")
    return params


def address(value: Any, name: str) -> str:
    try:
        return normalize_address(value)
    except ValueError:
        raise InvalidInput(f"{name} must be 0x followed by 1 to 64 hex digits") from None


def field_int(value: Any, name: str) -> int:
    try:
        return from_field(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a field element (0x hex below 2**254)") from None


def field_str(value: Any, name: str) -> str:
    return to_field(field_int(value, name))


def field_list(values: Any, name: str) -> list[int]:
    if not isinstance(values, list):
        raise InvalidInput(f"{name} must be an array of field elements")
    return [field_int(v, f"{name}[{i}]") for i, v in enumerate(values)]


def amount(value: Any, name: str) -> int:
    """A non-negative integer from an int or a decimal string; never a float."""
    if isinstance(value, bool):
        raise InvalidInput(f"{name} must be a non-negative integer")
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value() and value >= 0:
        return int(value)
    raise InvalidInput(f"{name} must be a non-negative integer (a decimal string or a JSON integer)")


def options(rest: list[Any]) -> dict[str, Any]:
    if not rest or rest[0] is None:
        return {}
    if not isinstance(rest[0], dict):
        raise InvalidInput("options must be an object")
    return rest[0]


def call(value: Any) -> ContractCall:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise InvalidInput('Expected a call {"name", "to", "args"}')
    return ContractCall(value["name"], address(value.get("to"), "call.to"), tuple(field_list(value.get("args"), "call.args")))


def authwit(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or "requestHash" not in value or not isinstance(value.get("witness"), list):
        raise InvalidInput('Expected authwits as returned by pxe_createAuthWit {"requestHash", "witness"}')
    return {
        "requestHash": field_str(value["requestHash"], "requestHash"),
        "witness": [field_str(w, "witness") for w in value["witness"]],
    }
