"""The notes both protocols keep, and how pxe_getNotes shows them (Aztec's UniqueNote).

Both lending protocols keep an escrow's position as two notes in its pool, sent to the escrow: the
collateral note `[owner, randomness, amount]` and the loan note `[owner, randomness, principal, epoch]`
(nocom-v1's lending_pool/src/types/collateral_note.nr, loan_note.nr), and the escrow keeps its own
config note. Their storage slots are those of nocom-v1's storage layout (below), used by both modes:
the reference protocol has no contract source to take another layout from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from devnet.pxe.derivation import derive_field
from shared.pxe.fields import to_field
from shared.pxe.storage_slots import derive_storage_slot_in_map

# aztec-nr's #[storage] numbers state variables from 1 in declaration order, each taking the slots its
# HasStorageSlot says: a Map or a PrivateMutable/PrivateImmutable 1, a PublicImmutable<T> T's packed
# length + 1. nocom-v1's NocomLendingPoolV1: config (PublicImmutable<Config>, 9 fields: slots 1-10),
# collateral (Map, 11), loan (Map, 12: the lenders' notes), debt (Map, 13), utilization (14).
# NocomEscrowV1: config (PrivateImmutable<ConfigNote>, 1). MockPriceFeed: assets (Map, 1), admin (2).
ESCROW_CONFIG_SLOT = 1
POOL_COLLATERAL_MAP_SLOT = 11
POOL_DEBT_MAP_SLOT = 13
FEED_ASSETS_MAP_SLOT = 1
FEED_ADMIN_SLOT = 2


@dataclass(frozen=True)
class CollateralNote:
    owner: str
    randomness: int
    amount: int


@dataclass(frozen=True)
class LoanNote:
    owner: str
    randomness: int
    principal: int
    epoch: int


class MapSlots:
    """derive_storage_slot_in_map, remembered: Poseidon2 costs a third of a millisecond in Python, and a
    pool's notes are listed again and again for the same escrows."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, str], int] = {}

    def at(self, map_slot: int, key: str) -> int:
        slot = self._known.get((map_slot, key))
        if slot is None:
            slot = self._known[(map_slot, key)] = derive_storage_slot_in_map(map_slot, key)
        return slot


@dataclass(frozen=True)
class Note:
    """One note as the PXE's note store holds it: whose it is, where, what it says, which tx wrote it."""

    contract: str
    storage_slot: int
    recipient: str
    items: tuple[int, ...]
    tx_hash: str

    def unique_note(self) -> dict[str, Any]:
        """Aztec's UniqueNote JSON. The nonce stands in for Aztec's (derived from the tx and the note's
        index): it changes whenever the note is replaced, since the replacement has new randomness."""
        nonce = derive_field("note-nonce", self.contract, self.storage_slot, self.tx_hash, *self.items)
        return {
            "note": {"items": [to_field(v) for v in self.items]},
            "recipient": self.recipient,
            "contractAddress": self.contract,
            "storageSlot": to_field(self.storage_slot),
            "txHash": self.tx_hash,
            "noteNonce": nonce,
        }


def pool_notes(slots: MapSlots, pool: str, escrow: str, collateral: CollateralNote, loan: LoanNote,
               tx_hash: str) -> Iterator[Note]:
    """The pool's two notes for `escrow`: storage.collateral.at(escrow) and storage.debt.at(escrow)."""
    yield Note(pool, slots.at(POOL_COLLATERAL_MAP_SLOT, escrow), escrow,
               (int(collateral.owner, 16), collateral.randomness, collateral.amount), tx_hash)
    yield Note(pool, slots.at(POOL_DEBT_MAP_SLOT, escrow), escrow,
               (int(loan.owner, 16), loan.randomness, loan.principal, loan.epoch), tx_hash)
