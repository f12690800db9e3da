"""The monitor's records: an escrow as discovered at registration, its position as last read.

Slotted and mutable only where a sync refreshes them in place, so 100 000 positions stay small.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


def intern(value: str) -> str:
    # Pools, tokens and symbols repeat across thousands of escrows; share one string each.
    return sys.intern(value)


@dataclass(slots=True, frozen=True)
class Escrow:
    address: str
    pool: str
    collateral_token: str
    debt_token: str
    collateral_asset: str
    debt_asset: str
    liquidation_threshold_bps: int
    has_secret_key: bool
    registered_at: int


@dataclass(slots=True, frozen=True)
class Notes:
    """The amounts read from an escrow's collateral and loan notes."""

    collateral_amount: int
    debt_principal: int
    debt_epoch: int


@dataclass(slots=True)
class Position:
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
    block_number: int
    version: int

    @classmethod
    def read(cls, escrow: Escrow, notes: Notes, synced_at: int, block_number: int, version: int) -> "Position":
        return cls(
            escrow=escrow.address,
            pool=escrow.pool,
            collateral_asset=escrow.collateral_asset,
            collateral_token=escrow.collateral_token,
            collateral_amount=notes.collateral_amount,
            debt_asset=escrow.debt_asset,
            debt_token=escrow.debt_token,
            debt_principal=notes.debt_principal,
            debt_epoch=notes.debt_epoch,
            liquidation_threshold_bps=escrow.liquidation_threshold_bps,
            synced_at=synced_at,
            block_number=block_number,
            version=version,
        )

    def same_state(self, escrow: Escrow, notes: Notes) -> bool:
        """True when a fresh read shows nothing the engine would care about."""
        return (
            self.collateral_amount == notes.collateral_amount
            and self.debt_principal == notes.debt_principal
            and self.debt_epoch == notes.debt_epoch
            and self.pool == escrow.pool
            and self.collateral_token == escrow.collateral_token
            and self.debt_token == escrow.debt_token
            and self.collateral_asset == escrow.collateral_asset
            and self.debt_asset == escrow.debt_asset
            and self.liquidation_threshold_bps == escrow.liquidation_threshold_bps
        )

    def has_asset(self, asset: str) -> bool:
        return self.collateral_asset == asset or self.debt_asset == asset


@dataclass(slots=True, frozen=True)
class Removed:
    """A tombstone, so `sinceVersion` readers learn that a position went away."""

    escrow: str
    collateral_asset: str
    debt_asset: str
    version: int

    def has_asset(self, asset: str) -> bool:
        return self.collateral_asset == asset or self.debt_asset == asset
