"""Reads of the development PXE in nocom-v1 mode, in the deployed contracts' shapes: utility functions
through pxe_simulateUtility, public #[view] functions through pxe_simulateView; and what the
reference mode answers to pxe_simulateView."""

from __future__ import annotations

import pytest

from devnet.pxe.background import running_dev_pxe
from devnet.pxe.nocom_v1.world import read_field_compressed_string
from shared.pxe import PxeClient, PxeInvalidInput, PxeReverted, from_field, to_field
from tests.devnet.pxe.nocom_market import EPOCH, TREASURY, UNIT, USD, nocom_market


async def test_escrow_sync_and_its_whole_config_note() -> None:
    async with nocom_market() as m:
        escrow = m.escrow(20 * UNIT, 7_000 * UNIT)
        assert await m.client.simulate_utility("sync_private_state", [], escrow) == []
        owner, commitment, pool, collateral, debt, randomness = await m.client.simulate_utility("get_config", [], escrow)
        assert (to_field(pool), to_field(collateral), to_field(debt)) == (m.pool, m.collateral, m.debt)
        assert owner and commitment and randomness and owner != from_field(escrow)


async def test_an_escrow_config_note_needs_the_escrows_key() -> None:
    async with nocom_market() as m:
        created = m.admin.create_escrow(m.pool, 20 * UNIT, 7_000 * UNIT, registered=False)
        with pytest.raises(PxeReverted, match="register the escrow with its secret key"):
            await m.client.simulate_utility("get_config", [], created["address"])
        await m.client.register_contract(created["instance"], created["secretKey"])
        assert len(await m.client.simulate_utility("get_config", [], created["address"])) == 6


async def test_pool_config_has_nine_fields_and_the_notes_seven() -> None:
    async with nocom_market() as m:
        escrow = m.escrow(20 * UNIT, 7_000 * UNIT)
        config = await m.client.simulate_utility("get_config", [], m.pool)
        admin = m.feed["admin"]
        assert [to_field(v) for v in config[:7]] == [admin, to_field(0), to_field(0), m.feed["address"], TREASURY, m.collateral, m.debt]
        assert config[7:] == [75_000, 80_000]  # max_ltv, liquidation_threshold: base 10^5
        notes = await m.client.simulate_utility("get_collateral_and_debt", [escrow], m.pool)
        assert len(notes) == 7 and to_field(notes[0]) == to_field(notes[3]) == escrow
        assert (notes[2], notes[5], notes[6]) == (20 * UNIT, 7_000 * UNIT, EPOCH)
        assert await m.client.simulate_utility("get_utilization", [], m.pool) == [7_000 * UNIT, 0]
        # get_health_factor(borrower, next_epoch, prices): the TXE test's 107142 / 114285 at ZEC $500, no interest.
        assert await m.client.simulate_utility("get_health_factor", [escrow, EPOCH, 500 * USD, USD], m.pool) == [107142, 114285]


async def test_token_balances_and_the_missing_get_symbol() -> None:
    async with nocom_market() as m:
        m.admin.mint(m.debt, m.liquidator, 123)
        assert await m.client.simulate_utility("balance_of_private", [m.liquidator], m.debt) == [123]
        with pytest.raises(PxeReverted, match="^Unknown function get_symbol in contract Token$"):
            await m.client.simulate_utility("get_symbol", [], m.debt)
        with pytest.raises(PxeInvalidInput, match="^get_prices is a public function; pxe_simulateUtility runs utility functions"):
            await m.client.simulate_utility("get_prices", [m.collateral, m.debt, 2], m.feed["address"])
        with pytest.raises(PxeReverted, match="No contract instance found"):
            await m.client.simulate_utility("get_config", [], to_field(0x1234))


async def test_the_symbol_is_a_field_compressed_string_read_as_a_view() -> None:
    async with nocom_market() as m:
        (symbol,) = m.admin.view("symbol", [], m.debt)
        assert symbol == int.from_bytes(b"USDC" + b"\0" * 27, "big")  # str<31> big-endian, zero-padded on the right
        assert read_field_compressed_string(symbol) == "USDC"
        token = m.admin.create_token("WBTC", "Wrapped Bitcoin", 8)
        assert read_field_compressed_string(m.admin.view("name", [], token)[0]) == "Wrapped Bitcoin"
        assert m.admin.view("decimals", [], token) == [8]
        assert m.admin.view("decimals", [], m.debt) == [18]


async def test_feed_views_return_the_bounded_vec_flattened() -> None:
    async with nocom_market() as m:
        feed = m.feed["address"]
        assert m.admin.view("get_price", [m.collateral], feed) == [437 * USD]
        assert m.admin.view("get_prices", [m.collateral, m.debt, 2], feed) == [437 * USD, USD, 2]
        assert m.admin.view("get_prices", [m.debt, 0, 1], feed) == [USD, 0, 1]
        assert m.admin.view("get_price", [to_field(0xABC)], feed) == [0]  # never set: 0
        with pytest.raises(PxeInvalidInput, match="get_prices.asset_addresses holds at most 2 items, got a length of 3"):
            m.admin.view("get_prices", [m.collateral, m.debt, 3], feed)
        with pytest.raises(PxeInvalidInput, match=r"get_prices takes 3 fields \(asset_addresses\), got 1"):
            m.admin.view("get_prices", [m.collateral], feed)


async def test_simulate_view_runs_only_public_views() -> None:
    async with nocom_market() as m:
        with pytest.raises(PxeInvalidInput, match=r"set_prices is not a #\[view\] function"):
            m.admin.view("set_prices", [0] * 10, m.feed["address"])
        with pytest.raises(PxeInvalidInput, match="get_config is a utility function; pxe_simulateView runs public"):
            m.admin.view("get_config", [], m.pool)
        escrow = m.escrow(UNIT, UNIT)
        with pytest.raises(PxeInvalidInput, match="liquidate is a private function"):
            m.admin.view("liquidate", [0] * 4, escrow)
        with pytest.raises(PxeInvalidInput, match="functionName must be a string"):
            m.admin.call("pxe_simulateView", [7, [], m.debt])


async def test_the_reference_mode_has_no_public_views_and_says_so() -> None:
    async with running_dev_pxe(block_time=0) as pxe:
        token = pxe.admin.create_token("USDC")
        async with PxeClient(pxe.url) as client:
            assert await client.token_symbol(token) == "USDC"  # unchanged: its get_symbol utility
            with pytest.raises(PxeInvalidInput, match="get_symbol is a utility function"):
                await client.call("pxe_simulateView", ["get_symbol", [], token])
            with pytest.raises(PxeReverted, match="^Unknown function symbol$"):
                await client.call("pxe_simulateView", ["symbol", [], token])
            with pytest.raises(PxeReverted, match="No contract instance found"):
                await client.call("pxe_simulateView", ["symbol", [], to_field(0x1234)])
