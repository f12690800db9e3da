"""pxe_getNotes and pxe_registerSender on the development PXE, in both modes: a pool's notes for each escrow
at the slots of its `collateral` and `debt` maps, only those the PXE can decrypt and (with require_senders)
discover, and a nonce and tx hash that change when a note is replaced."""

from __future__ import annotations

import pytest

from shared.pxe import PxeInvalidInput, PxeReverted, from_field, to_field
from shared.pxe.storage_slots import derive_storage_slot_in_map
from tests.devnet.pxe.lending_pools import UNIT, lending_pool

PROTOCOLS = ["reference", "nocom-v1"]


def by_slot(notes: list[dict]) -> dict[int, dict]:
    return {from_field(n["storageSlot"]): n for n in notes}


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_pools_notes_are_each_escrows_collateral_and_loan_at_its_map_slots(protocol: str) -> None:
    async with lending_pool(protocol) as p:
        first, second = p.escrow()["address"], p.escrow(healthy=True)["address"]
        p.escrow(registered=False)  # its notes cannot be decrypted here: never listed

        notes = await p.call("pxe_getNotes", [{"contractAddress": p.pool}])
        assert len(notes) == 4 and {n["recipient"] for n in notes} == {first, second}
        assert all(n["contractAddress"] == p.pool for n in notes)
        mine = by_slot([n for n in notes if n["recipient"] == first])
        # nocom-v1's pool keeps `collateral` at storage slot 11 and `debt` at 13 (devnet/pxe/notes.py).
        collateral, loan = mine[derive_storage_slot_in_map(11, first)], mine[derive_storage_slot_in_map(13, first)]
        read = await p.client.simulate_utility("get_collateral_and_debt", [first], p.pool)
        assert [from_field(v) for v in collateral["note"]["items"]] == read[:3]  # [owner, randomness, amount]
        assert [from_field(v) for v in loan["note"]["items"]] == read[3:]  # [owner, randomness, principal, epoch]
        assert collateral["noteNonce"] != loan["noteNonce"]

        scoped = await p.call("pxe_getNotes", [{"contractAddress": p.pool, "scopes": [second]}])
        assert {n["recipient"] for n in scoped} == {second} and len(scoped) == 2
        slot = to_field(derive_storage_slot_in_map(13, second))
        assert [n["storageSlot"] for n in await p.call("pxe_getNotes", [{"contractAddress": p.pool, "storageSlot": slot}])] == [slot]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_escrows_own_note_is_its_config_at_slot_one(protocol: str) -> None:
    async with lending_pool(protocol) as p:
        escrow = p.escrow()["address"]
        (note,) = await p.call("pxe_getNotes", [{"contractAddress": escrow}])
        assert (note["recipient"], note["contractAddress"], from_field(note["storageSlot"])) == (escrow, escrow, 1)
        config = await p.client.simulate_utility("get_config", [], escrow)
        assert [from_field(v) for v in note["note"]["items"]] == config  # [pool] (reference), the ConfigNote (nocom-v1)
        assert await p.call("pxe_getNotes", [{"contractAddress": p.debt_token}]) == []  # balances are not kept as notes


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_replaced_note_has_a_new_nonce_and_the_tx_that_replaced_it(protocol: str) -> None:
    async with lending_pool(protocol) as p:
        liquidated, moved, untouched = (p.escrow()["address"] for _ in range(3))
        before = {n["noteNonce"]: n for n in await p.call("pxe_getNotes", [{"contractAddress": p.pool}])}

        call, authwit = await p.liquidation(liquidated, 1_000 * UNIT, nonce=1)
        tx_hash = await p.client.send_tx([call], [authwit], p.liquidator)
        assert await p.mined(tx_hash) == ("success", None)
        p.pxe.admin.set_position(moved, 5 * UNIT, 1_000 * UNIT)

        after = await p.call("pxe_getNotes", [{"contractAddress": p.pool}])
        changed = {n["recipient"] for n in after if n["noteNonce"] not in before}
        assert changed == {liquidated, moved}
        assert {n["txHash"] for n in after if n["recipient"] == liquidated} == {tx_hash}
        assert all(before[n["noteNonce"]] == n for n in after if n["recipient"] == untouched)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_with_require_senders_an_escrows_notes_appear_once_its_owner_and_pool_are_senders(protocol: str) -> None:
    async with lending_pool(protocol, require_senders=True) as p:
        created = p.escrow()
        escrow, owner = created["address"], created["owner"]
        listed = await p.call("dev_listEscrows")
        assert [(e["address"], e["owner"]) for e in listed] == [(escrow, owner)]  # a monitor can learn the owner

        with pytest.raises(PxeReverted, match=f"^No note found for {escrow}: "):
            await p.client.simulate_utility("get_config", [], escrow)
        with pytest.raises(PxeReverted, match=f"^No note found for {p.pool}"):
            await p.client.simulate_utility("get_collateral_and_debt", [escrow], p.pool)
        call, authwit = await p.liquidation(escrow, 1_000 * UNIT, nonce=1)
        with pytest.raises(PxeReverted, match="^No note found"):
            await p.client.send_tx([call], [authwit], p.liquidator)  # nothing to prove the liquidation with

        assert await p.call("pxe_registerSender", [owner]) is None
        assert await p.call("pxe_getNotes", [{"contractAddress": p.pool}]) == []  # the pool's notes: the pool sends them
        with pytest.raises(PxeReverted, match="No note found"):
            await p.client.simulate_utility("get_config", [], escrow)

        await p.call("pxe_registerSender", [p.pool])
        assert len(await p.client.simulate_utility("get_config", [], escrow)) >= 1
        assert len(await p.call("pxe_getNotes", [{"contractAddress": p.pool}])) == 2
        assert len(await p.call("pxe_getNotes", [{"contractAddress": escrow}])) == 1
        assert await p.mined(await p.client.send_tx([call], [authwit], p.liquidator)) == ("success", None)


async def test_without_require_senders_notes_need_only_the_escrows_key() -> None:
    async with lending_pool("nocom-v1") as p:
        escrow = p.escrow()["address"]
        assert len(await p.client.simulate_utility("get_config", [], escrow)) == 6
        assert len(await p.call("pxe_getNotes", [{"contractAddress": p.pool}])) == 2


async def test_bad_get_notes_queries_name_the_parameter() -> None:
    async with lending_pool("nocom-v1") as p:
        for query, wrong in (({}, "contractAddress"), ({"contractAddress": p.pool, "scopes": "0x1"}, "scopes"),
                             ({"contractAddress": p.pool, "storageSlot": "slot"}, "storageSlot"),
                             ({"contractAddress": p.pool, "scopes": ["zz"]}, r"scopes\[0\]")):
            with pytest.raises(PxeInvalidInput, match=wrong):
                await p.call("pxe_getNotes", [query])
        with pytest.raises(PxeInvalidInput, match="address"):
            await p.call("pxe_registerSender", ["not an address"])
        with pytest.raises(PxeReverted, match="No contract instance found"):
            await p.call("pxe_getNotes", [{"contractAddress": to_field(0x1234)}])
