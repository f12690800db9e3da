"""shared.pxe sending liquidations to the development PXE over real HTTP: authwits, reverts and receipts."""

from __future__ import annotations

import time

import pytest

from devnet.pxe.background import RunningDevPxe
from shared.protocols import reference
from shared.pxe import Call, PxeClient, PxeReverted, to_field
from tests.shared.pxe.liquidation_world import (
    ETH_PRICE,
    UNIT,
    USDC_PRICE,
    World,
    interest_free_epoch,
    liquidation_tx,
    open_position,
)


async def test_full_liquidation(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    # 10 ETH at $2 000 with an 80 % threshold carries 16 000 USDC; 17 000 is owed.
    escrow = open_position(pxe, world, 10 * UNIT, 17_000 * UNIT)
    pxe.admin.mint(world.usdc, world.liquidator, 20_000 * UNIT)
    notes = await client.collateral_and_debt(world.pool, escrow)
    debt = reference.total_debt(notes.debt_principal, notes.debt_epoch, int(time.time()))
    assert reference.is_liquidatable(notes.collateral_amount, ETH_PRICE, 8_000, debt, USDC_PRICE)
    repay = reference.max_repay(notes.collateral_amount, ETH_PRICE, debt, USDC_PRICE)
    expected = reference.seizure(repay, ETH_PRICE, USDC_PRICE)

    tx_hash = await liquidation_tx(client, world, escrow, repay)
    assert (await client.get_tx_receipt(tx_hash)).status == "pending"
    pxe.admin.mine_block()
    receipt = await client.wait_for_receipt(tx_hash, timeout=5, poll_interval=0.02)

    assert receipt.status == "success" and receipt.error is None
    assert receipt.block_number == await client.block_number()
    assert await client.private_balance(world.usdc, world.liquidator) == 20_000 * UNIT - repay
    assert await client.private_balance(world.eth, world.liquidator) == expected.liquidator_receives
    after = await client.collateral_and_debt(world.pool, escrow)
    assert after.collateral_amount == 10 * UNIT - expected.seized
    assert after.debt_principal == debt - repay
    assert after.debt_epoch in {reference.next_epoch(int(time.time())), reference.next_epoch(int(time.time())) - 1}
    assert after.collateral_randomness != notes.collateral_randomness  # new notes replace the spent ones


async def test_an_authwit_is_consumed_once(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    first, second = (open_position(pxe, world, 10 * UNIT, 17_000 * UNIT) for _ in range(2))
    pxe.admin.mint(world.usdc, world.liquidator, 1_000 * UNIT)
    transfer = Call("transfer_private_to_public", world.usdc,
                    [to_field(world.liquidator), to_field(world.pool), to_field(100 * UNIT), to_field(9)])
    authwit = await client.create_authwit(world.liquidator, world.pool, transfer)

    def liquidate(escrow: str) -> Call:
        return Call("liquidate", escrow, [to_field(100 * UNIT), to_field(9), to_field(ETH_PRICE), to_field(USDC_PRICE)])

    tx_hash = await client.send_tx([liquidate(first)], [authwit], world.liquidator)
    pxe.admin.mine_block()
    assert (await client.wait_for_receipt(tx_hash, timeout=5, poll_interval=0.02)).status == "success"
    # The same pool, amount and nonce on another escrow: the authwit's nullifier is spent.
    with pytest.raises(PxeReverted, match="Authwit not found"):
        await client.send_tx([liquidate(second)], [authwit], world.liquidator)


async def test_revert_reasons(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    underwater = open_position(pxe, world, 10 * UNIT, 17_000 * UNIT)
    healthy = open_position(pxe, world, 10 * UNIT, 10_000 * UNIT)
    # 1 ETH ($2 000) against 5 000 USDC: half the debt would seize 1.375 ETH.
    thin = open_position(pxe, world, 1 * UNIT, 5_000 * UNIT)
    pxe.admin.mint(world.usdc, world.liquidator, 100 * UNIT)
    cases = [
        ("Price mismatch", dict(escrow=underwater, repay=100 * UNIT, prices=(ETH_PRICE + 1, USDC_PRICE))),
        ("Position healthy, cannot liquidate", dict(escrow=healthy, repay=100 * UNIT)),
        ("Cannot repay more than 50% of total borrowed", dict(escrow=underwater, repay=8_500 * UNIT + 1)),
        ("Insufficient collateral", dict(escrow=thin, repay=2_500 * UNIT)),
        ("Authwit not found", dict(escrow=underwater, repay=100 * UNIT, with_authwit=False)),
        ("Authwit not found", dict(escrow=underwater, repay=100 * UNIT, authwit_amount=99 * UNIT)),
        ("Insufficient balance", dict(escrow=underwater, repay=101 * UNIT)),
    ]
    for nonce, (reason, case) in enumerate(cases, start=1):
        with pytest.raises(PxeReverted) as reverted:
            await liquidation_tx(client, world, nonce=nonce, **case)  # type: ignore[arg-type]
        assert reverted.value.reason == reason
    assert pxe.state.pending == []  # a failed simulation never becomes a transaction


async def test_unknown_function_and_unregistered_escrow_revert(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    with pytest.raises(PxeReverted, match="Unknown function get_everything"):
        await client.simulate_utility("get_everything", [], world.pool)
    hidden = pxe.admin.create_escrow(world.pool, 10 * UNIT, 17_000 * UNIT, loan_epoch=interest_free_epoch())
    pxe.admin.mint(world.usdc, world.liquidator, 100 * UNIT)
    with pytest.raises(PxeReverted, match="Escrow notes unknown"):
        await liquidation_tx(client, world, hidden["address"], 100 * UNIT)


async def test_a_tx_that_fails_at_its_block_is_reverted(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    escrow = open_position(pxe, world, 10 * UNIT, 17_000 * UNIT)
    pxe.admin.mint(world.usdc, world.liquidator, 1_000 * UNIT)
    tx_hash = await liquidation_tx(client, world, escrow, 500 * UNIT)
    pxe.admin.set_prices({"ETH": ETH_PRICE - 10**8})  # the oracle moves before the block
    pxe.admin.mine_block()
    receipt = await client.wait_for_receipt(tx_hash, timeout=5, poll_interval=0.02)
    assert (receipt.status, receipt.error) == ("reverted", "Price mismatch")
    assert pxe.admin.get_position(escrow)["loanPrincipal"] == str(17_000 * UNIT)


async def test_unknown_tx_is_dropped(client: PxeClient) -> None:
    assert (await client.get_tx_receipt(to_field(42))).status == "dropped"


async def test_wait_for_receipt_times_out_while_pending(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    escrow = open_position(pxe, world, 10 * UNIT, 17_000 * UNIT)
    pxe.admin.mint(world.usdc, world.liquidator, 1_000 * UNIT)
    tx_hash = await liquidation_tx(client, world, escrow, 500 * UNIT)
    with pytest.raises(TimeoutError):
        await client.wait_for_receipt(tx_hash, timeout=0.1, poll_interval=0.02)
