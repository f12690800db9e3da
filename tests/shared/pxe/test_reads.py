"""shared.pxe reads against the development PXE over real HTTP: status, accounts, pool, tokens and notes."""

from __future__ import annotations

import pytest

from devnet.pxe.background import RunningDevPxe
from shared.pxe import PxeClient, PxeInvalidInput, PxeReverted, normalize_address, to_field
from tests.shared.pxe.liquidation_world import LIQUIDATOR_KEY, UNIT, World


async def test_status_ready_and_block_number(client: PxeClient, pxe: RunningDevPxe) -> None:
    assert await client.status() is True
    assert await client.is_ready() is True
    before = await client.block_number()
    pxe.admin.mine_block()
    assert await client.block_number() == before + 1


async def test_register_account_is_deterministic(client: PxeClient) -> None:
    first = await client.register_account(LIQUIDATOR_KEY)
    assert first == await client.register_account(LIQUIDATOR_KEY)
    assert first != await client.register_account(to_field(0xBEEF))
    assert first == normalize_address(first)


async def test_discovers_pool_tokens_and_notes(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    escrow = pxe.admin.create_escrow(world.pool, 3 * UNIT, 2_000 * UNIT, loan_epoch=1234)
    await client.sync_private_state(escrow["address"])
    assert await client.escrow_pool(escrow["address"]) == world.pool
    config = await client.pool_config(world.pool)
    assert (config.collateral_token, config.debt_token) == (world.eth, world.usdc)
    assert (config.max_ltv_bps, config.liquidation_threshold_bps) == (7_500, 8_000)
    assert await client.token_symbol(config.collateral_token) == "ETH"
    assert await client.token_symbol(config.debt_token) == "USDC"

    # Notes stay private until the escrow is registered with its secret key.
    with pytest.raises(PxeReverted, match="Escrow notes unknown: register the escrow with its secret key"):
        await client.collateral_and_debt(world.pool, escrow["address"])
    with pytest.raises(PxeInvalidInput):
        await client.register_contract(escrow["instance"], to_field(12345))
    await client.register_contract(escrow["instance"], escrow["secretKey"])
    notes = await client.collateral_and_debt(world.pool, escrow["address"])
    assert (notes.collateral_amount, notes.debt_principal, notes.debt_epoch) == (3 * UNIT, 2_000 * UNIT, 1234)
    assert notes.collateral_owner == notes.debt_owner == escrow["address"]


async def test_private_balance(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    assert await client.private_balance(world.usdc, world.liquidator) == 0
    pxe.admin.mint(world.usdc, world.liquidator, 5 * UNIT)
    assert await client.private_balance(world.usdc, world.liquidator) == 5 * UNIT
