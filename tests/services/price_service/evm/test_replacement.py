"""Transactions that cannot get stuck (issue 15), on real chains whose mining the test controls.

Auto-mining is switched off after the oracle is deployed, so a transaction really waits in the
pool until the test mines a block; the sender's replacements, cancels and start-up resolution are
observed in the node's own pool (txpool_content) and in what is finally mined.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from eth_abi import decode

from services.price_service.evm.chain import Chain, TxSender
from services.price_service.evm.errors import TxFailed
from services.price_service.evm.fees import bumped, initial_fees
from services.price_service.evm.oracle import PriceOracle, deploy_oracle
from shared.feeds.evm_oracle import symbol_from_key
from tests.fixtures.chain import ChainStarter, mine, pool_of, set_automine
from tests.fixtures.paths import REPO

ETH = 3_000 * 10**8


async def wait_until(condition: Callable[[], Awaitable[bool]], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def decoded(tx_input: bytes | str) -> dict[str, tuple[int, int]]:
    raw = bytes.fromhex(tx_input.removeprefix("0x")) if isinstance(tx_input, str) else bytes(tx_input)
    keys, prices, times = decode(["bytes32[]", "uint256[]", "uint64[]"], raw[4:])
    return {symbol_from_key(k): (int(p), int(t)) for k, p, t in zip(keys, prices, times, strict=True)}


@asynccontextmanager
async def held_oracle(own_chains: ChainStarter) -> AsyncIterator[tuple[Chain, str, list[str]]]:
    """A fresh chain with a PriceOracle (updater key 1), then auto-mining off: transactions wait."""
    local = own_chains.start()
    chain = await Chain.connect(local.url)
    try:
        address = await deploy_oracle(chain, TxSender(chain, local.keys[0]), TxSender(chain, local.keys[1]).address)
        await set_automine(chain, False)
        yield chain, address, local.keys
    finally:
        await chain.close()


async def test_a_stuck_set_prices_is_replaced_with_bumped_fees_and_the_newest_price(each_kind_chains: ChainStarter) -> None:
    async with held_oracle(each_kind_chains) as (chain, address, keys):
        sender = TxSender(chain, keys[1], receipt_timeout=30, poll_interval=0.02, replace_after=0.3)
        t0 = int(time.time())
        pending_versions: list[dict] = []  # type: ignore[type-arg]

        async def newest_prices() -> dict[str, tuple[int, int]]:
            # Called right before each replacement, while the version to replace is still pending.
            pending_versions.append((await pool_of(chain, sender.address))[0])
            n = len(pending_versions)
            return {"ETH": (ETH + n, t0 + n)}

        task = asyncio.create_task(PriceOracle(chain, address, sender).set_prices({"ETH": (ETH, t0)}, refresh=newest_prices))
        await wait_until(lambda: asyncio.sleep(0, sender.stats.replaced >= 2))
        await mine(chain)
        result = await task

        mined = await chain.w3.eth.get_transaction(result.tx_hash)  # type: ignore[arg-type]
        first = pending_versions[0]
        assert mined["nonce"] == int(first["nonce"], 16) == result.nonce == 0
        assert result.replacements >= 2 and sender.stats.replaced == result.replacements
        # Each version pays ≥ 12.5 % more than the one it replaced, on the fee cap and on the tip.
        assert mined["maxFeePerGas"] >= bumped(bumped(int(first["maxFeePerGas"], 16)))
        assert mined["maxPriorityFeePerGas"] >= bumped(bumped(int(first["maxPriorityFeePerGas"], 16)))
        for older, newer in zip(pending_versions, pending_versions[1:]):
            assert int(newer["maxFeePerGas"], 16) >= bumped(int(older["maxFeePerGas"], 16))
        # The mined calldata carries the newest price the callback gave, not the stale first one.
        newest = {"ETH": (ETH + result.replacements, t0 + result.replacements)}
        assert decoded(mined["input"]) == newest == result.written
        assert decoded(first["input"]) == {"ETH": (ETH, t0)}
        price = await PriceOracle(chain, address).get_price("ETH")
        assert (price.price, price.updated_at) == newest["ETH"]


async def test_the_fee_cap_stops_the_bumps_and_a_network_fee_above_it_sends_nothing(own_chains: ChainStarter) -> None:
    async with held_oracle(own_chains) as (chain, address, keys):
        probe = TxSender(chain, keys[1])
        first = initial_fees(*await probe.fee_inputs(), cap=10**30)
        cap = first.max_fee * 12 // 10  # room for one bump of 12.5 %, not for two (1.125² > 1.2)
        sender = TxSender(chain, keys[1], receipt_timeout=30, poll_interval=0.02, replace_after=0.2, max_fee_per_gas=cap)
        task = asyncio.create_task(PriceOracle(chain, address, sender).set_prices({"ETH": (ETH, int(time.time()))}))
        await wait_until(lambda: asyncio.sleep(0, sender.stats.rebroadcast >= 3))  # at the cap: re-broadcast, wait
        assert sender.stats.replaced == 1
        await mine(chain)
        result = await task
        mined = await chain.w3.eth.get_transaction(result.tx_hash)  # type: ignore[arg-type]
        assert mined["maxFeePerGas"] == bumped(first.max_fee) <= cap

        poor = TxSender(chain, keys[1], max_fee_per_gas=first.priority)  # below base fee + tip
        before = await chain.nonce(poor.address, "pending")
        with pytest.raises(TxFailed, match="above the cap"):
            await PriceOracle(chain, address, poor).set_prices({"ETH": (ETH, int(time.time()) + 1)})
        assert await chain.nonce(poor.address, "pending") == before and not await pool_of(chain, poor.address)


LEAVE_PENDING = """
import asyncio, sys
from services.price_service.evm.chain import Chain, TxSender
from services.price_service.evm.oracle import PriceOracle

async def main(url, key, address, price, observed_at):
    chain = await Chain.connect(url)
    sender = TxSender(chain, key, replace_after=None)
    send = PriceOracle(chain, address, sender).set_prices({"ETH": (int(price), int(observed_at))})
    try:
        await asyncio.wait_for(send, 1.0)  # the process dies while it waits
    except asyncio.TimeoutError:
        pass

asyncio.run(main(*sys.argv[1:]))
"""


async def test_a_restart_resolves_what_the_previous_process_left_pending(each_kind_chains: ChainStarter) -> None:
    async with held_oracle(each_kind_chains) as (chain, address, keys):
        stale_at = int(time.time())
        args = [chain.rpc_url, keys[1], address, str(ETH), str(stale_at)]
        subprocess.run([sys.executable, "-c", LEAVE_PENDING, *args], cwd=REPO, check=True, timeout=60)
        left = await pool_of(chain, TxSender(chain, keys[1]).address)
        assert list(left) == [0] and decoded(left[0]["input"]) == {"ETH": (ETH, stale_at)}

        sender = TxSender(chain, keys[1], poll_interval=0.02, cancel_timeout=20)

        async def mine_the_cancel() -> None:  # a block only once the cancel has taken the stale one's place
            await wait_until(lambda: _is_cancel(chain, sender.address, 0))
            await mine(chain)

        miner = asyncio.create_task(mine_the_cancel())
        (resolution,) = await sender.resolve_pending()
        await miner
        assert (resolution.nonce, resolution.outcome) == (0, "cancelled")
        assert await chain.receipt(left[0]["hash"]) is None  # the stale price never landed
        assert (await chain.w3.eth.get_transaction(resolution.tx_hash))["to"] == sender.address  # type: ignore[arg-type]

        # Nothing blocks the next send: it goes out at the next nonce and is mined with the next block.
        await set_automine(chain, True)
        result = await PriceOracle(chain, address, sender).set_prices({"ETH": (ETH + 1, stale_at + 1)})
        assert result.nonce == 1
        assert (await PriceOracle(chain, address).get_price("ETH")).price == ETH + 1


async def _is_cancel(chain: Chain, address: str, nonce: int) -> bool:
    tx = (await pool_of(chain, address)).get(nonce)
    return tx is not None and (tx.get("input") in ("0x", None)) and str(tx["to"]).lower() == address.lower()


async def test_resolution_reports_the_pending_transaction_when_it_wins(own_chains: ChainStarter) -> None:
    async with held_oracle(own_chains) as (chain, address, keys):
        observed_at = int(time.time())
        args = [chain.rpc_url, keys[1], address, str(ETH), str(observed_at)]
        subprocess.run([sys.executable, "-c", LEAVE_PENDING, *args], cwd=REPO, check=True, timeout=60)
        left = (await pool_of(chain, TxSender(chain, keys[1]).address))[0]
        # A resolver whose cap is the pending fee cannot outbid it: the pending one is mined, and said so.
        capped = TxSender(chain, keys[1], poll_interval=0.02, cancel_timeout=20, max_fee_per_gas=int(left["maxFeePerGas"], 16))
        miner = asyncio.create_task(_mine_soon(chain))
        (resolution,) = await capped.resolve_pending()
        await miner
        assert (resolution.nonce, resolution.outcome, resolution.tx_hash) == (0, "mined", left["hash"])
        assert (await PriceOracle(chain, address).get_price("ETH")).updated_at == observed_at


async def _mine_soon(chain: Chain) -> None:
    await asyncio.sleep(0.5)
    await mine(chain)
