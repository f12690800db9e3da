"""The development PXE: prices from a real PriceOracle, blocks, demo seeding, scale and the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from devnet.pxe.__main__ import parse_args
from devnet.pxe.background import RunningDevPxe, running_dev_pxe
from devnet.pxe.modes import dev_pxe_for, seed
from devnet.pxe.reference.demo import DEMO_PRICES
from shared.protocols import reference
from shared.pxe import Call, PxeClient, PxeInvalidInput, PxeReverted, to_field

UNIT = 10**18
ETH = 2_000 * 10**8
USDC = 1 * 10**8
from devnet.suite import stop_process
from tests.fixtures.chain import fresh
from tests.fixtures.paths import REPO


async def liquidate(client: PxeClient, escrow: str, pool: str, debt_token: str, liquidator: str,
                    repay: int, prices: tuple[int, int], nonce: int) -> str:
    transfer = Call("transfer_private_to_public", debt_token,
                    [to_field(liquidator), to_field(pool), to_field(repay), to_field(nonce)])
    authwit = await client.create_authwit(liquidator, pool, transfer)
    call = Call("liquidate", escrow, [to_field(repay), to_field(nonce), to_field(prices[0]), to_field(prices[1])])
    return await client.send_tx([call], [authwit], liquidator)


def underwater_position(pxe: RunningDevPxe, liquidator: str) -> tuple[str, str, str]:
    """10 ETH against 17 000 USDC in a pool with an 80 % threshold: liquidatable at $2 000."""
    admin = pxe.admin
    eth, usdc = admin.create_token("ETH"), admin.create_token("USDC")
    pool = admin.create_pool(eth, usdc, 7_500, 8_000)
    epoch = reference.next_epoch(int(time.time())) + 10  # interest-free, so amounts are exact
    escrow = admin.create_escrow(pool, 10 * UNIT, 17_000 * UNIT, loan_epoch=epoch, registered=True)["address"]
    admin.mint(usdc, liquidator, 10_000 * UNIT)
    return escrow, pool, usdc


async def test_prices_are_checked_against_the_price_oracle_on_chain(local_chain, evm) -> None:  # type: ignore[no-untyped-def]
    await evm.oracle.set_prices(await fresh(evm.oracle, {"ETH": ETH, "USDC": USDC}))
    async with running_dev_pxe(block_time=0, rpc_url=local_chain.url, oracle_address=evm.oracle.address) as pxe:
        async with PxeClient(pxe.url, timeout=5) as client:
            liquidator = await client.register_account(to_field(0xA11CE))
            escrow, pool, usdc = underwater_position(pxe, liquidator)
            with pytest.raises(PxeInvalidInput, match="PriceOracle"):
                pxe.admin.set_prices({"ETH": 1})  # the chain is the only truth

            with pytest.raises(PxeReverted, match="^Price mismatch$"):
                await liquidate(client, escrow, pool, usdc, liquidator, 1_000 * UNIT, (ETH + 10**8, USDC), nonce=1)

            good = await liquidate(client, escrow, pool, usdc, liquidator, 1_000 * UNIT, (ETH, USDC), nonce=2)
            pxe.admin.mine_block()
            assert (await client.wait_for_receipt(good, timeout=5, poll_interval=0.02)).status == "success"

            # The oracle moves between submission and the block: the block re-checks and reverts.
            late = await liquidate(client, escrow, pool, usdc, liquidator, 1_000 * UNIT, (ETH, USDC), nonce=3)
            await evm.oracle.set_prices(await fresh(evm.oracle, {"ETH": ETH - 50 * 10**8}))
            pxe.admin.mine_block()
            receipt = await client.wait_for_receipt(late, timeout=5, poll_interval=0.02)
            assert (receipt.status, receipt.error) == ("reverted", "Price mismatch")


async def test_an_unreachable_oracle_blocks_liquidations_instead_of_guessing() -> None:
    from devnet.chain.local import free_port

    dead_chain = f"http://127.0.0.1:{free_port()}"
    async with running_dev_pxe(block_time=0, rpc_url=dead_chain, oracle_address="0x" + "ab" * 20) as pxe:
        async with PxeClient(pxe.url, timeout=10) as client:
            liquidator = await client.register_account(to_field(0xDEAD))
            escrow, pool, usdc = underwater_position(pxe, liquidator)
            with pytest.raises(PxeReverted, match="Price oracle unreachable"):
                await liquidate(client, escrow, pool, usdc, liquidator, 1_000 * UNIT, (ETH, USDC), nonce=1)
            assert pxe.state.pending == []


async def test_block_producer_mines_pending_txs() -> None:
    async with running_dev_pxe(block_time=0.05) as pxe:
        pxe.admin.set_prices({"ETH": ETH, "USDC": USDC})
        async with PxeClient(pxe.url) as client:
            liquidator = await client.register_account(to_field(0xB0B))
            escrow, pool, usdc = underwater_position(pxe, liquidator)
            start_block = await client.block_number()
            tx_hash = await liquidate(client, escrow, pool, usdc, liquidator, 1_000 * UNIT, (ETH, USDC), nonce=1)
            receipt = await client.wait_for_receipt(tx_hash, timeout=10, poll_interval=0.02)
            assert receipt.status == "success"
            assert receipt.block_number is not None and receipt.block_number > start_block
            assert pxe.admin.get_position(escrow)["loanPrincipal"] == str(16_000 * UNIT)
            # Its own record of what it accepted (dev_listTxs), what the chaos tests check the engine against.
            assert pxe.admin.call("dev_listTxs") == [{"txHash": tx_hash, "status": "success", "blockNumber": receipt.block_number,
                                                      "from": liquidator, "calls": [{"name": "liquidate", "to": escrow}]}]


async def test_demo_positions_become_liquidatable_after_a_price_drop() -> None:
    async with running_dev_pxe(block_time=0) as pxe:
        demo = pxe.admin.seed_demo(escrows=8)
        assert set(demo["tokens"]) >= {"ETH", "BTC", "USDC"}
        async with PxeClient(pxe.url) as client:
            liquidator = await client.register_account(to_field(0xD3A0))
            now = int(time.time())
            health_now, health_after_drop = [], []
            for escrow in demo["escrows"]:
                assert "secretKey" in escrow and escrow["collateralAsset"] in ("ETH", "BTC")
                pool = await client.escrow_pool(escrow["address"])
                config = await client.pool_config(pool)
                assert 8_000 <= config.liquidation_threshold <= 8_500
                await client.register_contract(escrow["instance"], escrow["secretKey"])
                notes = await client.collateral_and_debt(pool, escrow["address"])
                debt = reference.total_debt(notes.debt_principal, notes.debt_epoch, now)
                cp, dp = DEMO_PRICES[escrow["collateralAsset"]], DEMO_PRICES[escrow["debtAsset"]]
                health_now.append(reference.health_factor(notes.collateral_amount, cp, config.liquidation_threshold, debt, dp))
                dropped = cp * 90 // 100
                health_after_drop.append(
                    reference.health_factor(notes.collateral_amount, dropped, config.liquidation_threshold, debt, dp)
                )
            assert all(hf is not None and hf >= 1 for hf in health_now)
            assert any(hf is not None and hf < reference.Decimal("1.10") for hf in health_now)  # some near the edge
            liquidatable = [i for i, hf in enumerate(health_after_drop) if hf is not None and hf < 1]
            assert len(liquidatable) >= 3
            assert len(liquidatable) < len(demo["escrows"])  # others are safe

            # After the drop, the engine's path liquidates the first of them.
            pxe.admin.set_prices({s: p * 90 // 100 if s != "USDC" else p for s, p in DEMO_PRICES.items()})
            target = demo["escrows"][liquidatable[0]]
            pool = await client.escrow_pool(target["address"])
            config = await client.pool_config(pool)
            notes = await client.collateral_and_debt(pool, target["address"])
            cp, dp = DEMO_PRICES[target["collateralAsset"]] * 90 // 100, DEMO_PRICES["USDC"]
            debt = reference.total_debt(notes.debt_principal, notes.debt_epoch, int(time.time()))
            repay = reference.max_repay(notes.collateral_amount, cp, debt, dp)
            pxe.admin.mint(config.debt_token, liquidator, repay)
            tx_hash = await liquidate(client, target["address"], pool, config.debt_token, liquidator, repay, (cp, dp), nonce=1)
            pxe.admin.mine_block()
            assert (await client.wait_for_receipt(tx_hash, timeout=5, poll_interval=0.02)).status == "success"


async def test_serves_ten_thousand_escrows_to_concurrent_readers() -> None:
    async with running_dev_pxe(block_time=0) as pxe:
        eth, usdc = pxe.admin.create_token("ETH"), pxe.admin.create_token("USDC")
        pool = pxe.admin.create_pool(eth, usdc, 7_500, 8_000)
        escrows = pxe.admin.create_escrows(pool, 10_000, 3 * UNIT, 2_500 * UNIT, registered=True)
        assert len({e["address"] for e in escrows}) == 10_000
        sample = escrows[::100]
        async with PxeClient(pxe.url, max_connections=64) as client:
            gate = asyncio.Semaphore(64)

            async def read(address: str) -> int:
                async with gate:
                    await client.sync_private_state(address)
                    notes = await client.collateral_and_debt(await client.escrow_pool(address), address)
                    return notes.debt_principal

            principals = await asyncio.gather(*(read(e["address"]) for e in sample))
        assert principals == [2_500 * UNIT] * len(sample)


def test_cli_starts_logs_its_url_and_seeds_a_demo(tmp_path: Path) -> None:
    from devnet.chain.local import free_port

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "devnet.pxe", "--port", str(port), "--demo", "--block-time", "0.1"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        listening = None
        assert process.stdout is not None
        for line in process.stdout:
            event = json.loads(line)
            if event["event"] == "Dev PXE listening":
                listening = event
                break
        assert listening is not None and listening["url"] == f"http://127.0.0.1:{port}"
        assert httpx.get(f"{listening['url']}/status").text == "OK"
        body = httpx.post(f"{listening['url']}/", json={"jsonrpc": "2.0", "id": 1, "method": "dev_listEscrows", "params": []}).json()
        assert len(body["result"]) == 8
        assert all("secretKey" not in e and e["registered"] for e in body["result"])
    finally:
        stop_process(process, signal.SIGINT)


@pytest.mark.parametrize("protocol", ["reference", "nocom-v1"])
async def test_one_salt_gives_the_same_escrows_to_two_pxes(protocol: str) -> None:
    async def demo(salt: str | None) -> list[str]:
        seeded = await seed(dev_pxe_for(protocol, salt=salt), 4, registered=True)
        return [e["address"] for e in seeded["escrows"]]

    assert await demo("replicas") == await demo("replicas")
    assert await demo("replicas") != await demo(None) != await demo(None)
    assert parse_args(["--salt", "s"]).salt == "s"
