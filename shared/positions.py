"""The position record (docs/http-api.md, "Position"): one record and one set of names for the note
monitor that serves positions and the liquidation engine that keeps a copy of them.

The dataclass below is the one definition of a position's fields. Each field's `kind` says what it
holds, and everything else follows from it: the wire name (camelCase of the field), the wire value
(amounts are decimal strings: they exceed JSON's safe integers), the OpenAPI schema (`PositionOut`),
the monitor's table columns and rows, and which values are interned.

Slotted and mutable (a sync refreshes `synced_at` in place), so a million of them stay small: the
values many positions repeat (pools, tokens, symbols, epochs, blocks, sync times) are held once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from operator import attrgetter, itemgetter
from typing import Any, Literal

from pydantic import BaseModel, create_model

from shared.interning import intern_int, intern_text
from shared.types import Amount

Kind = Literal["address", "symbol", "amount", "count"]


def _field(kind: Kind, repeated: bool = True) -> Any:
    """`repeated`: thousands of positions hold the same value, so it is interned when read."""
    return field(metadata={"kind": kind, "repeated": repeated})


@dataclass(slots=True)
class Position:
    """An escrow's position as last read: amounts in base units, the threshold as the pool holds it."""

    escrow: str = _field("address", repeated=False)
    pool: str = _field("address")
    collateral_asset: str = _field("symbol")
    collateral_token: str = _field("address")
    collateral_amount: int = _field("amount", repeated=False)
    debt_asset: str = _field("symbol")
    debt_token: str = _field("address")
    debt_principal: int = _field("amount", repeated=False)
    debt_epoch: int = _field("count")
    liquidation_threshold_bps: int = _field("count")
    synced_at: int = _field("count")
    block_number: int = _field("count")  # the PXE block the notes are at least as new as
    version: int = _field("count", repeated=False)

    @property
    def pair(self) -> tuple[str, str]:
        return self.collateral_asset, self.debt_asset

    def has_asset(self, asset: str) -> bool:
        return self.collateral_asset == asset or self.debt_asset == asset

    def to_wire(self) -> dict[str, Any]:
        wire = dict(zip(WIRE_NAMES, _values(self), strict=True))
        for name in _AMOUNTS_ON_WIRE:
            wire[name] = str(wire[name])
        return wire

    def to_row(self) -> dict[str, Any]:
        """The monitor's `positions` row: amounts as decimal strings, like the wire."""
        row = dict(zip(FIELD_NAMES, _values(self), strict=True))
        for name in _AMOUNTS:
            row[name] = str(row[name])
        return row

    @classmethod
    def from_wire(cls, item: dict[str, Any]) -> Position:
        """KeyError, ValueError or TypeError for a body that does not follow the contract."""
        return cls(*[read(value) for read, value in zip(_READERS, _wire_values(item), strict=True)])


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _reader(kind: Kind, repeated: bool) -> Callable[[Any], Any]:
    if kind in ("address", "symbol"):
        return (lambda v: intern_text(str(v))) if repeated else str
    return (lambda v: intern_int(int(v))) if repeated else int


FIELDS = fields(Position)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
KINDS: dict[str, Kind] = {f.name: f.metadata["kind"] for f in FIELDS}
WIRE_NAMES: tuple[str, ...] = tuple(_camel(name) for name in FIELD_NAMES)
_AMOUNTS = tuple(name for name in FIELD_NAMES if KINDS[name] == "amount")
_AMOUNTS_ON_WIRE = tuple(_camel(name) for name in _AMOUNTS)
_READERS = tuple(_reader(f.metadata["kind"], f.metadata["repeated"]) for f in FIELDS)
_values = attrgetter(*FIELD_NAMES)
_wire_values = itemgetter(*WIRE_NAMES)

_OPENAPI_TYPES: dict[Kind, Any] = {"address": str, "symbol": str, "amount": Amount, "count": int}
PositionOut: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "PositionOut", __doc__="A position as GET /positions serves it (shared.positions.Position).",
    **{_camel(f.name): (_OPENAPI_TYPES[f.metadata["kind"]], ...) for f in FIELDS},
)


@dataclass(slots=True, frozen=True)
class RemovedPosition:
    """A tombstone, so `sinceVersion` readers learn that a position went away."""

    escrow: str
    collateral_asset: str
    debt_asset: str
    version: int

    def has_asset(self, asset: str) -> bool:
        return self.collateral_asset == asset or self.debt_asset == asset

    def to_wire(self) -> dict[str, Any]:
        return {"escrow": self.escrow, "removed": True, "version": self.version}


class RemovedOut(BaseModel):
    escrow: str
    removed: Literal[True]
    version: int
