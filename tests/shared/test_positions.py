"""The position wire contract: one record, one set of names, for the monitor and the engine."""

from __future__ import annotations

import json

from shared.positions import WIRE_NAMES, Position, PositionOut, RemovedPosition


def sample() -> Position:
    return Position("0x01", "0x02", "BTC", "0x03", 10**30, "USDC", "0x04", 5 * 10**20, 7, 8000, 1_700_000_000, 42, 9)


# docs/http-api.md, Position: the names on the wire, in this order.
CONTRACT = ["escrow", "pool", "collateralAsset", "collateralToken", "collateralAmount", "debtAsset", "debtToken",
            "debtPrincipal", "debtEpoch", "liquidationThresholdBps", "syncedAt", "blockNumber", "version"]


def test_the_wire_names_follow_the_contract_and_the_openapi_follows_the_record() -> None:
    assert list(WIRE_NAMES) == CONTRACT
    assert list(PositionOut.model_fields) == CONTRACT
    assert list(sample().to_wire()) == CONTRACT
    amounts = {name for name, spec in PositionOut.model_json_schema()["properties"].items() if spec.get("type") == "string"
               and "pattern" in spec}
    assert amounts == {"collateralAmount", "debtPrincipal"}  # decimal strings in the OpenAPI too


def test_a_row_holds_amounts_as_decimal_strings_under_the_field_names() -> None:
    row = sample().to_row()
    assert list(row) == list(Position.__dataclass_fields__)
    assert row["collateral_amount"] == str(10**30) and row["debt_epoch"] == 7


def test_a_position_survives_the_wire_exactly() -> None:
    wire = sample().to_wire()
    assert wire["collateralAmount"] == str(10**30)  # amounts travel as decimal strings
    assert PositionOut.model_validate(wire).model_dump() == wire
    assert Position.from_wire(wire) == sample()


def test_repeated_values_read_from_the_wire_are_held_once() -> None:
    a, b = (Position.from_wire(json.loads(json.dumps(sample().to_wire()))) for _ in range(2))  # fresh objects each
    assert a.pool is b.pool and a.collateral_asset is b.collateral_asset and a.synced_at is b.synced_at
    assert a.collateral_amount == b.collateral_amount


def test_a_removal_is_a_tombstone_with_its_version() -> None:
    removed = RemovedPosition("0x01", "BTC", "USDC", 11)
    assert removed.to_wire() == {"escrow": "0x01", "removed": True, "version": 11}
    assert removed.has_asset("USDC") and not removed.has_asset("ETH")
