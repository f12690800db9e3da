"""shared.pxe's two-step send against the development PXE over real HTTP: pxe_proveTx keeps a proven
transaction the node does not know, pxe_sendProvenTx sends it (twice harmlessly), pxe_getTxLimits is asked
once; several liquidations in one transaction."""

from __future__ import annotations

import pytest

from devnet.pxe.background import RunningDevPxe
from shared.pxe import Call, PxeClient, PxeInvalidInput, PxeReverted, to_field
from tests.shared.pxe.liquidation_world import ETH_PRICE, UNIT, USDC_PRICE, World, open_position


async def liquidation(client: PxeClient, world: World, escrow: str, repay: int, nonce: int) -> tuple[Call, dict]:  # type: ignore[type-arg]
    transfer = Call("transfer_private_to_public", world.usdc,
                    [to_field(world.liquidator), to_field(world.pool), to_field(repay), to_field(nonce)])
    authwit = await client.create_authwit(world.liquidator, world.pool, transfer)
    return Call("liquidate", escrow, [to_field(repay), to_field(nonce), to_field(ETH_PRICE), to_field(USDC_PRICE)]), authwit


async def test_a_proven_transaction_is_unknown_to_the_node_until_it_is_sent(
    pxe: RunningDevPxe, client: PxeClient, world: World
) -> None:
    escrows = [open_position(pxe, world, 10 * UNIT, 17_000 * UNIT) for _ in range(3)]
    pxe.admin.mint(world.usdc, world.liquidator, 1_000 * UNIT)
    bundle = [await liquidation(client, world, e, 100 * UNIT, nonce) for nonce, e in enumerate(escrows, start=1)]
    tx_hash = await client.prove_tx([c for c, _ in bundle], [a for _, a in bundle], world.liquidator)
    assert (await client.get_tx_receipt(tx_hash)).status == "dropped"  # proven, kept, never sent
    assert await client.send_proven_tx(tx_hash) == tx_hash
    assert await client.send_proven_tx(tx_hash) == tx_hash  # again: harmless
    assert (await client.get_tx_receipt(tx_hash)).status == "pending"
    pxe.admin.mine_block()
    assert (await client.wait_for_receipt(tx_hash, timeout=5, poll_interval=0.02)).status == "success"
    for escrow in escrows:  # one transaction, three liquidations
        assert (await client.collateral_and_debt(world.pool, escrow)).collateral_amount < 10 * UNIT


async def test_a_revert_keeps_nothing_and_an_unknown_hash_is_refused(
    pxe: RunningDevPxe, client: PxeClient, world: World
) -> None:
    under, healthy = open_position(pxe, world, 10 * UNIT, 17_000 * UNIT), open_position(pxe, world, 10 * UNIT, 1_000 * UNIT)
    pxe.admin.mint(world.usdc, world.liquidator, 1_000 * UNIT)
    bundle = [await liquidation(client, world, e, 100 * UNIT, nonce) for nonce, e in enumerate((under, healthy), start=1)]
    with pytest.raises(PxeReverted, match="Position healthy"):
        await client.prove_tx([c for c, _ in bundle], [a for _, a in bundle], world.liquidator)
    with pytest.raises(PxeInvalidInput):
        await client.send_proven_tx("0x" + "1b" * 32)
    assert pxe.state.pending == []


async def test_the_call_limit_is_asked_once(pxe: RunningDevPxe, client: PxeClient) -> None:
    assert await client.tx_limits() == 5
    assert await client.tx_limits() == 5
    assert pxe.calls["pxe_getTxLimits"] == 1
    assert await client.tx_limits(fresh=True) == 5 and pxe.calls["pxe_getTxLimits"] == 2
