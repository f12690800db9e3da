"""The monitor's records: an escrow as discovered at registration, and the position (the wire
contract of shared.positions) it makes with the notes a sync reads (shared.pxe.client.Notes)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.positions import Position
from shared.pxe.client import Notes


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


def position_of(escrow: Escrow, notes: Notes, synced_at: int, block_number: int, version: int) -> Position:
    return Position(
        escrow=escrow.address, pool=escrow.pool,
        collateral_asset=escrow.collateral_asset, collateral_token=escrow.collateral_token,
        collateral_amount=notes.collateral_amount,
        debt_asset=escrow.debt_asset, debt_token=escrow.debt_token,
        debt_principal=notes.debt_principal, debt_epoch=notes.debt_epoch,
        liquidation_threshold_bps=escrow.liquidation_threshold_bps,
        synced_at=synced_at, block_number=block_number, version=version,
    )


def unchanged(position: Position, escrow: Escrow, notes: Notes) -> bool:
    """True when a fresh read shows nothing the engine would care about."""
    return (
        position.collateral_amount == notes.collateral_amount
        and position.debt_principal == notes.debt_principal
        and position.debt_epoch == notes.debt_epoch
        and position.pool == escrow.pool
        and position.collateral_token == escrow.collateral_token
        and position.debt_token == escrow.debt_token
        and position.collateral_asset == escrow.collateral_asset
        and position.debt_asset == escrow.debt_asset
        and position.liquidation_threshold_bps == escrow.liquidation_threshold_bps
    )
