"""What the development PXE's server asks of a protocol's state (reference/state.py, nocom_v1/state.py),
beyond PxeCore's accounts, contracts, senders, authwits and tx book."""

from __future__ import annotations

from typing import Any

from devnet.pxe.core import AuthwitIntent, ContractCall, PxeCore, Tx
from devnet.pxe.notes import Note


class ProtocolState(PxeCore):
    """The state both protocols' states are; each method is a protocol's own."""

    # --- reads ---
    def simulate_utility(self, function: str, args: list[int], to: str) -> list[int]:
        raise NotImplementedError

    def simulate_view(self, function: str, args: list[int], to: str) -> list[int]:
        raise NotImplementedError

    def contract_notes(self, contract: str, scopes: set[str] | None) -> list[Note]:
        raise NotImplementedError

    def public_storage_at(self, contract: str, slot: int) -> int:
        raise NotImplementedError

    # --- transactions ---
    def new_tx(self, sender: str, calls: tuple[ContractCall, ...], authwits: frozenset[AuthwitIntent]) -> Tx:
        raise NotImplementedError

    # --- world building (dev_*) ---
    def create_escrow(self, pool: str, collateral: int, principal: int, loan_epoch: int, registered: bool) -> dict[str, Any]:
        raise NotImplementedError

    def set_position(self, escrow: str, collateral: int, principal: int, loan_epoch: int) -> None:
        raise NotImplementedError

    def position(self, escrow: str) -> dict[str, Any]:
        raise NotImplementedError

    def mint(self, token: str, owner: str, amount: int) -> None:
        raise NotImplementedError

    def list_escrows(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def default_loan_epoch(self, now: int) -> int:
        raise NotImplementedError
