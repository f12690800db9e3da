"""The monitor's escrow record, as discovered at registration, and the position (shared.positions)
it makes with the notes a sync reads (shared.pxe.client.Notes)."""

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
    owner: str | None = None  # the escrow's owner, a sender of its notes (POST /escrows `owner`)
    gateway: str | None = None  # the read gateway its key and senders were registered with (read_gateways.py)

    def position(self, collateral_amount: int, debt_principal: int, debt_epoch: int, synced_at: int,
                 block_number: int, version: int) -> Position:
        """This escrow's position with these note values: the pool, tokens, assets and threshold are the escrow's."""
        return Position(self.address, self.pool, self.collateral_asset, self.collateral_token, collateral_amount,
                        self.debt_asset, self.debt_token, debt_principal, debt_epoch, self.liquidation_threshold_bps,
                        synced_at, block_number, version)


def position_of(escrow: Escrow, notes: Notes, synced_at: int, block_number: int, version: int) -> Position:
    return escrow.position(notes.collateral_amount, notes.debt_principal, notes.debt_epoch, synced_at, block_number, version)


def unchanged(position: Position, escrow: Escrow, notes: Notes) -> bool:
    """True when a fresh read shows nothing the engine would care about."""
    return position == position_of(escrow, notes, position.synced_at, position.block_number, position.version)
