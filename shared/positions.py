"""The position wire contract (SPEC section 3): one record and one set of names for the note
monitor that serves positions and the liquidation engine that keeps a copy of them.

Slotted and mutable (a sync refreshes `synced_at` in place), so a million of them stay small: the
values many positions repeat (pools, tokens, symbols, epochs, blocks, sync times) are held once.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from shared.types import Amount

# Python field name -> wire (JSON) name, in wire order.
WIRE_NAMES: dict[str, str] = {
    "escrow": "escrow",
    "pool": "pool",
    "collateral_asset": "collateralAsset",
    "collateral_token": "collateralToken",
    "collateral_amount": "collateralAmount",
    "debt_asset": "debtAsset",
    "debt_token": "debtToken",
    "debt_principal": "debtPrincipal",
    "debt_epoch": "debtEpoch",
    "liquidation_threshold_bps": "liquidationThresholdBps",
    "synced_at": "syncedAt",
    "block_number": "blockNumber",
    "version": "version",
}

_REPEATED_INTS_MAX = 1 << 16
_repeated_ints: dict[int, int] = {}


def shared_text(value: str) -> str:
    """One string object for a value thousands of positions repeat (a pool, a token, a symbol)."""
    return sys.intern(value)


def shared_int(value: int) -> int:
    """One int object for a value many positions repeat (an epoch, a block, a sync time, a threshold)."""
    return shared_ints().setdefault(value, value)


def shared_ints() -> dict[int, int]:
    """The table behind `shared_int`, for loops over many rows (`table.setdefault(v, v)`), kept bounded."""
    if len(_repeated_ints) >= _REPEATED_INTS_MAX:
        _repeated_ints.clear()
    return _repeated_ints


@dataclass(slots=True)
class Position:
    """An escrow's position as last read: amounts in base units, the threshold as the pool holds it."""

    escrow: str
    pool: str
    collateral_asset: str
    collateral_token: str
    collateral_amount: int
    debt_asset: str
    debt_token: str
    debt_principal: int
    debt_epoch: int
    liquidation_threshold_bps: int
    synced_at: int
    block_number: int  # the PXE block the notes are at least as new as
    version: int

    @property
    def pair(self) -> tuple[str, str]:
        return self.collateral_asset, self.debt_asset

    def has_asset(self, asset: str) -> bool:
        return self.collateral_asset == asset or self.debt_asset == asset

    def to_wire(self) -> dict[str, Any]:
        return {
            "escrow": self.escrow, "pool": self.pool, "collateralAsset": self.collateral_asset,
            "collateralToken": self.collateral_token, "collateralAmount": str(self.collateral_amount),
            "debtAsset": self.debt_asset, "debtToken": self.debt_token, "debtPrincipal": str(self.debt_principal),
            "debtEpoch": self.debt_epoch, "liquidationThresholdBps": self.liquidation_threshold_bps,
            "syncedAt": self.synced_at, "blockNumber": self.block_number, "version": self.version,
        }

    @classmethod
    def from_wire(cls, item: dict[str, Any]) -> Position:
        """KeyError, ValueError or TypeError for a body that does not follow the contract."""
        return cls(
            escrow=str(item["escrow"]), pool=shared_text(str(item["pool"])),
            collateral_asset=shared_text(str(item["collateralAsset"])),
            collateral_token=shared_text(str(item["collateralToken"])),
            collateral_amount=int(item["collateralAmount"]),
            debt_asset=shared_text(str(item["debtAsset"])), debt_token=shared_text(str(item["debtToken"])),
            debt_principal=int(item["debtPrincipal"]), debt_epoch=shared_int(int(item["debtEpoch"])),
            liquidation_threshold_bps=shared_int(int(item["liquidationThresholdBps"])),
            synced_at=shared_int(int(item.get("syncedAt") or 0)),
            block_number=shared_int(int(item.get("blockNumber") or 0)), version=int(item["version"]),
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


class PositionOut(BaseModel):
    """The OpenAPI shape of `Position.to_wire()`; a test keeps the two equal."""

    escrow: str
    pool: str
    collateralAsset: str
    collateralToken: str
    collateralAmount: Amount
    debtAsset: str
    debtToken: str
    debtPrincipal: Amount
    debtEpoch: int
    liquidationThresholdBps: int
    syncedAt: int
    blockNumber: int
    version: int


class RemovedOut(BaseModel):
    escrow: str
    removed: Literal[True]
    version: int
