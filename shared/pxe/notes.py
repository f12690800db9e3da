"""An escrow's two notes in its pool, as the pool's `get_collateral_and_debt` returns them or as the PXE's
note store holds them (`pxe_getNotes`, Aztec's UniqueNote), told apart as docs/pxe-jsonrpc.md says.

Both lending protocols keep an escrow's position in its pool as two notes sent to the escrow: the
collateral note `[owner, randomness, amount]` (3 items) and the loan note `[owner, randomness, principal,
epoch]` (4 items), at the pool's `collateral` and `debt` maps at the escrow (storage slots 11 and 13 of
nocom-v1's pool, devnet/pxe/README.md). The length tells them apart; the slot is checked only when an
escrow shows more than one note of a length, because a slot costs a Poseidon2 hash (a third of a
millisecond in Python: seconds for every escrow of a large book at each start).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shared.pxe.errors import PxeError
from shared.pxe.fields import from_field, normalize_address, to_field
from shared.pxe.storage_slots import derive_storage_slot_in_map

COLLATERAL_ITEMS, LOAN_ITEMS = 3, 4
POOL_COLLATERAL_MAP_SLOT, POOL_DEBT_MAP_SLOT = 11, 13


@dataclass(frozen=True)
class Notes:
    """An escrow's collateral note and loan note. `nonce` names the two notes read from the note store
    (their note nonces): it changes whenever either note is replaced; empty when read by simulation."""

    collateral_amount: int
    debt_principal: int
    debt_epoch: int
    collateral_owner: str = ""
    collateral_randomness: str = ""
    debt_owner: str = ""
    debt_randomness: str = ""
    nonce: str = ""


def notes_of_fields(values: list[int]) -> Notes:
    """`get_collateral_and_debt`'s seven fields: the collateral note's three, then the loan note's four."""
    c_owner, c_rand, c_amount, l_owner, l_rand, l_principal, l_epoch = values[:7]
    return Notes(
        collateral_amount=c_amount, debt_principal=l_principal, debt_epoch=l_epoch,
        collateral_owner=to_field(c_owner), collateral_randomness=to_field(c_rand),
        debt_owner=to_field(l_owner), debt_randomness=to_field(l_rand),
    )


def settled_notes(answer: Any) -> Notes | PxeError:
    """One `get_collateral_and_debt` answer of a batch: its Notes, or the PxeError of a malformed one."""
    values = answer.get("result") if isinstance(answer, dict) else answer
    try:
        if not isinstance(values, list) or len(values) < 7:
            return PxeError("PXE answered get_collateral_and_debt without its 7 fields")
        return notes_of_fields([from_field(v) for v in values])
    except ValueError as exc:
        return PxeError(f"PXE answered get_collateral_and_debt with {exc}")


@dataclass(frozen=True, slots=True)
class UniqueNote:
    """One note of the PXE's note store (Aztec's UniqueNote)."""

    items: tuple[int, ...]
    recipient: str
    contract: str
    storage_slot: int
    tx_hash: str
    nonce: str


def unique_notes(result: Any) -> list[UniqueNote]:
    """`pxe_getNotes`'s answer; PxeError when it is not a list of UniqueNotes."""
    if not isinstance(result, list):
        raise PxeError("PXE answered pxe_getNotes without a list of notes")
    try:
        return [_unique_note(item) for item in result]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise PxeError("PXE answered pxe_getNotes with a note that is not a UniqueNote") from None


def _unique_note(item: dict[str, Any]) -> UniqueNote:
    return UniqueNote(tuple(from_field(v) for v in item["note"]["items"]), normalize_address(item["recipient"]),
                      normalize_address(item["contractAddress"]), from_field(item["storageSlot"]),
                      to_field(item["txHash"]), to_field(item["noteNonce"]))


def escrow_notes(notes: Iterable[UniqueNote]) -> dict[str, Notes | PxeError]:
    """A pool's notes by the escrow they were sent to: its Notes, or why its two notes cannot be told
    (one missing, or several of a kind none of which sits at the escrow's slot)."""
    by_escrow: dict[str, list[UniqueNote]] = {}
    for note in notes:
        by_escrow.setdefault(note.recipient, []).append(note)
    return {escrow: _escrow_notes(escrow, found) for escrow, found in by_escrow.items()}


def _escrow_notes(escrow: str, found: list[UniqueNote]) -> Notes | PxeError:
    collateral = _one(escrow, [n for n in found if len(n.items) == COLLATERAL_ITEMS], POOL_COLLATERAL_MAP_SLOT, "collateral")
    loan = _one(escrow, [n for n in found if len(n.items) == LOAN_ITEMS], POOL_DEBT_MAP_SLOT, "loan")
    if isinstance(collateral, PxeError):
        return collateral
    if isinstance(loan, PxeError):
        return loan
    (c_owner, c_rand, c_amount), (l_owner, l_rand, l_principal, l_epoch) = collateral.items, loan.items
    return Notes(c_amount, l_principal, l_epoch, to_field(c_owner), to_field(c_rand), to_field(l_owner), to_field(l_rand),
                 nonce=f"{collateral.nonce}/{loan.nonce}")


def _one(escrow: str, candidates: list[UniqueNote], map_slot: int, kind: str) -> UniqueNote | PxeError:
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return PxeError(f"the PXE holds no {kind} note of escrow {escrow} in its pool")
    slot = derive_storage_slot_in_map(map_slot, escrow)
    at_slot = [n for n in candidates if n.storage_slot == slot]
    if len(at_slot) == 1:
        return at_slot[0]
    return PxeError(f"the PXE holds {len(candidates)} notes of {kind} length for escrow {escrow}, "
                    f"{len(at_slot)} of them at its {kind} slot in the pool")
