"""node_getPublicStorageAt on the development PXE: nocom-v1's MockPriceFeed keeps a token's price at
derive_storage_slot_in_map(1, token) and its admin at slot 2, read from the node without a job."""

from __future__ import annotations

import pytest

from devnet.pxe.background import running_dev_pxe
from shared.pxe import Call, PxeInvalidInput, from_field, to_field
from shared.pxe.storage_slots import derive_storage_slot_in_map
from tests.devnet.pxe.nocom_market import USD, nocom_market

ZERO = to_field(0)


async def test_a_feed_price_is_the_word_at_the_tokens_map_slot_and_follows_set_prices() -> None:
    async with nocom_market() as m:
        feed = m.feed["address"]

        async def word(slot: int, block: object = "latest") -> int:
            return from_field(await m.admin.acall("node_getPublicStorageAt", [block, feed, to_field(slot)]))

        assert await word(derive_storage_slot_in_map(1, m.collateral)) == 437 * USD
        assert await word(derive_storage_slot_in_map(1, m.debt)) == USD
        assert await word(2) == from_field(m.feed["admin"])
        assert await word(1) == 0 and await word(derive_storage_slot_in_map(1, to_field(0xABC))) == 0  # never written
        assert await word(derive_storage_slot_in_map(2, m.collateral)) == 0

        # A set_prices tx from the admin: the word changes once the tx is mined, not before.
        admin_account = m.feed["admin"]
        args = [m.collateral, ZERO, ZERO, ZERO, to_field(1), to_field(401 * USD), ZERO, ZERO, ZERO, to_field(1)]
        tx_hash = await m.client.send_tx([Call("set_prices", feed, args)], [], admin_account)
        assert await word(derive_storage_slot_in_map(1, m.collateral)) == 437 * USD
        assert await m.mined(tx_hash) == ("success", None)
        block = await m.client.block_number()
        assert await word(derive_storage_slot_in_map(1, m.collateral)) == 401 * USD
        assert await word(derive_storage_slot_in_map(1, m.collateral), block) == 401 * USD  # a mined block: answered as the latest


async def test_other_contracts_and_bad_params() -> None:
    async with nocom_market() as m:
        pool_word = await m.admin.acall("node_getPublicStorageAt", ["latest", m.pool, to_field(14)])
        assert pool_word == ZERO  # only the feed's storage is kept as words here
        assert await m.admin.acall("node_getPublicStorageAt", ["latest", to_field(0x1234), to_field(1)]) == ZERO
        block = await m.client.block_number()
        for params, wrong in ((["earliest", m.pool, ZERO], "block"), ([block + 1, m.pool, ZERO], "block"),
                              (["latest", "pool", ZERO], "contract"), (["latest", m.pool, "0xzz"], "slot")):
            with pytest.raises(PxeInvalidInput, match=wrong):
                await m.admin.acall("node_getPublicStorageAt", params)


async def test_the_reference_mode_keeps_no_public_storage() -> None:
    async with running_dev_pxe(block_time=0) as pxe:
        usdc = pxe.admin.create_token("USDC")
        pxe.admin.set_prices({"USDC": 10**8})  # its prices live on the EVM (or this table), never in Aztec storage
        slot = to_field(derive_storage_slot_in_map(1, usdc))
        assert await pxe.admin.acall("node_getPublicStorageAt", ["latest", usdc, slot]) == ZERO
