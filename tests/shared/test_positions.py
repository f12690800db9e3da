"""The position wire contract: one record, one set of names, for the monitor and the engine."""

from __future__ import annotations

from shared.positions import WIRE_NAMES, Position, PositionOut, RemovedPosition


def sample() -> Position:
    return Position("0x01", "0x02", "BTC", "0x03", 10**30, "USDC", "0x04", 5 * 10**20, 7, 8000, 1_700_000_000, 42, 9)


def test_the_wire_names_are_the_openapi_names_and_the_record_fields() -> None:
    assert list(PositionOut.model_fields) == list(WIRE_NAMES.values())
    assert list(Position.__dataclass_fields__) == list(WIRE_NAMES)
    assert list(sample().to_wire()) == list(WIRE_NAMES.values())


def test_a_position_survives_the_wire_exactly() -> None:
    wire = sample().to_wire()
    assert wire["collateralAmount"] == str(10**30)  # amounts travel as decimal strings
    assert PositionOut.model_validate(wire).model_dump() == wire
    assert Position.from_wire(wire) == sample()


def test_a_removal_is_a_tombstone_with_its_version() -> None:
    removed = RemovedPosition("0x01", "BTC", "USDC", 11)
    assert removed.to_wire() == {"escrow": "0x01", "removed": True, "version": 11}
    assert removed.has_asset("USDC") and not removed.has_asset("ETH")
