"""The PXE's note store through the client (pxe_getNotes, pxe_registerSender) against the development PXE,
and an escrow's two notes told apart as docs/pxe-jsonrpc.md says (3 items and 4, the slot when in doubt)."""

from __future__ import annotations

from devnet.pxe.background import running_dev_pxe
from shared.pxe import PxeClient, PxeError
from shared.pxe.notes import Notes, UniqueNote, escrow_notes, unique_notes
from shared.pxe.storage_slots import derive_storage_slot_in_map
from tests.shared.pxe.liquidation_world import UNIT

ESCROW = "0x" + "0e" * 32
POOL = "0x" + "0b" * 32


def note(items: tuple[int, ...], slot: int, nonce: int, recipient: str = ESCROW) -> UniqueNote:
    return UniqueNote(items, recipient, POOL, slot, "0x" + "ab" * 32, f"0x{nonce:064x}")


async def test_a_pools_notes_are_read_from_the_store_once_senders_are_registered() -> None:
    async with running_dev_pxe(require_senders=True) as pxe, PxeClient(pxe.url, timeout=5, read_attempts=1) as client:
        admin = pxe.admin
        eth, usdc = admin.create_token("ETH"), admin.create_token("USDC")
        pool = admin.create_pool(eth, usdc, 7_500, 8_000)
        made = [admin.create_escrow(pool, (i + 1) * UNIT, 100 * UNIT, registered=True) for i in range(3)]
        assert await client.get_notes(pool) == []  # their senders are unknown: nothing found

        assert await client.register_senders([pool, *(e["owner"] for e in made)]) == [None] * 4
        found = escrow_notes(await client.get_notes(pool))
        assert {e: (n.collateral_amount, n.debt_principal) for e, n in found.items() if isinstance(n, Notes)} == {
            e["address"]: ((i + 1) * UNIT, 100 * UNIT) for i, e in enumerate(made)}
        scoped = await client.get_notes(pool, scopes=[made[1]["address"]])
        assert {n.recipient for n in scoped} == {made[1]["address"]} and len(scoped) == 2

        before = found[made[0]["address"]]
        admin.set_position(made[0]["address"], UNIT, 100 * UNIT)  # the same values, new notes
        after = escrow_notes(await client.get_notes(pool))[made[0]["address"]]
        assert isinstance(before, Notes) and isinstance(after, Notes)
        assert (after.collateral_amount, after.debt_principal) == (before.collateral_amount, before.debt_principal)
        assert after.nonce != before.nonce  # new notes, new nonces


def test_notes_are_told_apart_by_length_and_by_slot_when_one_length_is_there_twice() -> None:
    collateral, loan = note((7, 1, 5 * UNIT), 99, 1), note((7, 2, 3 * UNIT, 41), 98, 2)
    assert escrow_notes([loan, collateral])[ESCROW] == Notes(5 * UNIT, 3 * UNIT, 41, f"0x{7:064x}", f"0x{1:064x}",
                                                            f"0x{7:064x}", f"0x{2:064x}", nonce=f"0x{1:064x}/0x{2:064x}")
    at_its_slot = note((7, 3, 9 * UNIT), derive_storage_slot_in_map(11, ESCROW), 3)
    found = escrow_notes([collateral, loan, at_its_slot])[ESCROW]
    assert isinstance(found, Notes) and found.collateral_amount == 9 * UNIT
    missing = escrow_notes([collateral])[ESCROW]
    assert isinstance(missing, PxeError) and "no loan note" in str(missing)
    twice = escrow_notes([collateral, note((7, 4, UNIT), 97, 4), loan])[ESCROW]
    assert isinstance(twice, PxeError) and "0 of them at its collateral slot" in str(twice)


def test_an_answer_that_is_not_unique_notes_is_a_pxe_error() -> None:
    for answer in ({"notes": []}, [{"note": {"items": ["0x1"]}}], [{"note": {"items": ["zz"]}, "recipient": ESCROW,
                                                                     "contractAddress": POOL, "storageSlot": "0x1",
                                                                     "txHash": "0x1", "noteNonce": "0x1"}]):
        try:
            unique_notes(answer)
        except PxeError as exc:
            assert "pxe_getNotes" in str(exc)
        else:
            raise AssertionError(f"accepted {answer!r}")
