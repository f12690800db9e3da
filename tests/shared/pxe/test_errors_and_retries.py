"""shared.pxe errors and failures: invalid input, unknown methods, a PXE that stops, reads retried and sends never."""

from __future__ import annotations

import httpx
import pytest

from devnet.pxe.background import RunningDevPxe
from shared.pxe import Call, PxeClient, PxeInvalidInput, PxeMethodNotFound, PxeUnreachable, to_field
from tests.shared.pxe.liquidation_world import ETH_PRICE, UNIT, USDC_PRICE, World, open_position


async def test_invalid_input_and_unknown_method(client: PxeClient, world: World) -> None:
    with pytest.raises(PxeInvalidInput):
        await client.call("pxe_simulateUtility", ["get_config", "not-a-list", world.pool])
    with pytest.raises(PxeInvalidInput):
        await client.call("pxe_sendTx", [{"calls": []}, {"from": world.liquidator}])
    with pytest.raises(PxeInvalidInput, match="Unknown account"):
        await client.send_tx([Call("liquidate", world.pool, [])], [], to_field(999))
    with pytest.raises(PxeMethodNotFound):
        await client.call("pxe_doesNotExist", [])


async def test_stopped_pxe_is_unreachable_after_bounded_retries(pxe: RunningDevPxe, world: World) -> None:
    attempts = 0

    async def count(_request: httpx.Request) -> None:
        nonlocal attempts
        attempts += 1

    async with httpx.AsyncClient(timeout=1.0, event_hooks={"request": [count]}) as http:
        client = PxeClient(pxe.url, client=http, read_attempts=3, backoff=0.01)
        assert await client.escrow_pool(open_position(pxe, world, UNIT, UNIT)) == world.pool
        pxe.stop()
        attempts = 0
        with pytest.raises(PxeUnreachable):
            await client.block_number()
        assert attempts == 3
        assert await client.status() is False
        assert await client.is_ready() is False

        pxe.start()  # back on the same port, state intact
        assert await client.status() is True
        assert (await client.pool_config(world.pool)).liquidation_threshold_bps == 8_000


async def test_reads_retry_but_send_tx_is_sent_once(pxe: RunningDevPxe, world: World) -> None:
    escrow = open_position(pxe, world, 10 * UNIT, 17_000 * UNIT)
    pxe.admin.mint(world.usdc, world.liquidator, 1_000 * UNIT)
    async with PxeClient(pxe.url, timeout=0.1, read_attempts=3, backoff=0.01) as client:
        transfer = Call("transfer_private_to_public", world.usdc,
                        [to_field(world.liquidator), to_field(world.pool), to_field(500 * UNIT), to_field(1)])
        authwit = await client.create_authwit(world.liquidator, world.pool, transfer)
        pxe.admin.set_latency(300)  # every answer now arrives after the client's timeout
        reads_before = pxe.calls["node_getBlockNumber"]
        with pytest.raises(PxeUnreachable):
            await client.block_number()
        assert pxe.calls["node_getBlockNumber"] - reads_before == 3

        with pytest.raises(PxeUnreachable):
            await client.send_tx(
                [Call("liquidate", escrow, [to_field(500 * UNIT), to_field(1), to_field(ETH_PRICE), to_field(USDC_PRICE)])],
                [authwit], world.liquidator,
            )
        assert pxe.calls["pxe_sendTx"] == 1
        pxe.admin.set_latency(0)
