"""Issue 10, item 1, end to end: a stuck setPrices can never overwrite a newer price later.

What happened: the chain was killed (-9) and a new one started on the same port, the oracle was
redeployed, the price service kept sending with its cached nonce (82, on a chain at 0), the
transaction sat in the pool, was given up, and minutes later, when the account's nonce reached
82, it was mined and moved ETH from 1856.01 to 2867.43. Here: the sender re-reads its nonce after
the chain error (and drops a cache ahead of the chain even without one), a transaction it gives
up on is cancelled at its nonce, and the contract skips any observation not newer than the stored
one, so even a stale transaction that does get mined changes nothing.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from eth_account import Account

from services.price_service.evm.chain import Chain, TxSender
from services.price_service.evm.errors import TxCancelled, TxFailed
from services.price_service.evm.oracle import PriceOracle, deploy_oracle
from tests.fixtures.chain import ChainStarter, mine, pool_of, set_automine

NEWER = 1_856_01000000  # 1856.01
STALE = 2_867_43000000  # 2867.43


async def test_a_given_up_price_never_overwrites_a_newer_one_after_a_chain_restart(each_kind_chains: ChainStarter) -> None:
    local = each_kind_chains.start()
    chain = await Chain.connect(local.url, request_timeout=2)
    try:
        deployer = TxSender(chain, local.keys[0])
        updater = TxSender(chain, local.keys[1], poll_interval=0.02)
        address = await deploy_oracle(chain, deployer, updater.address)
        oracle = PriceOracle(chain, address, updater)
        t0 = int(time.time()) - 100
        for i in range(3):
            await oracle.set_prices({"ETH": (NEWER + i, t0 + i)})
        manager = await updater.nonce_manager()
        assert manager.next_nonce == 3

        # kill -9, a new empty chain on the same port: a send in between fails with a chain error...
        local.kill()
        with pytest.raises(TxFailed):
            await oracle.set_prices({"ETH": (NEWER, t0 + 10)})
        local = each_kind_chains.restart(local)
        assert await deploy_oracle(chain, deployer, updater.address) == address  # redeployed (deployer nonce 0 again)
        # ...and the next one re-reads the nonce: 0 on the new chain, not the cached 3.
        assert (await oracle.set_prices({"ETH": (NEWER, t0 + 20)})).nonce == 0
        # The same without a failed send in between: a cache ahead of the node is dropped, counted, not used.
        local = each_kind_chains.restart(local)
        await deploy_oracle(chain, deployer, updater.address)
        resyncs = manager.resyncs
        assert (await oracle.set_prices({"ETH": (NEWER, t0 + 30)})).nonce == 0
        assert manager.resyncs == resyncs + 1

        await _given_up_is_cancelled(chain, address, local.keys[1], t0)
        await _a_stale_observation_mined_late_changes_nothing(chain, oracle, t0)
    finally:
        await chain.close()


async def _given_up_is_cancelled(chain: Chain, address: str, key: str, t0: int) -> None:
    """A stale price stuck in the pool and given up is cancelled at its nonce; the newer price lands."""
    await set_automine(chain, False)
    stuck = TxSender(chain, key, receipt_timeout=0.5, replace_after=None, cancel_timeout=20, poll_interval=0.02)
    send = asyncio.create_task(PriceOracle(chain, address, stuck).set_prices({"ETH": (STALE, t0 + 40)}))
    await _wait_for_cancel_in_pool(chain, stuck.address, nonce=1)
    await mine(chain)
    with pytest.raises(TxCancelled) as cancelled:
        await send
    assert cancelled.value.nonce == 1 and stuck.stats.cancelled == 1
    assert await chain.receipt(cancelled.value.tx_hash) is None  # the stale setPrices: never mined
    await set_automine(chain, True)
    newer = await PriceOracle(chain, address, stuck).set_prices({"ETH": (NEWER + 7, t0 + 50)})
    assert newer.nonce == 2 and newer.written == {"ETH": (NEWER + 7, t0 + 50)}
    for _ in range(3):  # the account's nonce moves on: nothing is left to land at nonce 1
        await mine(chain)
    assert (await PriceOracle(chain, address).get_price("ETH")).price == NEWER + 7


async def _wait_for_cancel_in_pool(chain: Chain, address: str, nonce: int) -> None:
    deadline = time.monotonic() + 20
    while True:
        tx = (await pool_of(chain, address)).get(nonce)
        if tx is not None and tx.get("input") in ("0x", None):
            return
        assert time.monotonic() < deadline, "no cancel in the pool"
        await asyncio.sleep(0.02)


async def _a_stale_observation_mined_late_changes_nothing(chain: Chain, oracle: PriceOracle, t0: int) -> None:
    """Even if a stale setPrices is mined (another node's pool, a replay), the contract skips it."""
    late = await oracle.set_prices({"ETH": (STALE, t0 + 40), "BTC": (97_000 * 10**8, t0 + 40)})
    receipt = await chain.receipt(late.tx_hash)
    assert receipt["status"] == 1 and late.written == {"BTC": (97_000 * 10**8, t0 + 40)}  # ETH skipped, no revert
    eth = await oracle.get_price("ETH")
    assert (eth.price, eth.updated_at) == (NEWER + 7, t0 + 50)


async def test_a_send_in_flight_when_the_chain_restarts_is_never_sent_into_the_gap(each_kind_chains: ChainStarter) -> None:
    local = each_kind_chains.start()
    chain = await Chain.connect(local.url, request_timeout=2)
    try:
        updater = TxSender(chain, local.keys[1], receipt_timeout=30, replace_after=0.2, poll_interval=0.02)
        address = await deploy_oracle(chain, TxSender(chain, local.keys[0]), updater.address)
        oracle = PriceOracle(chain, address, updater)
        t0 = int(time.time()) - 100
        for i in range(3):
            await oracle.set_prices({"ETH": (NEWER + i, t0 + i)})
        await set_automine(chain, False)
        send = asyncio.create_task(oracle.set_prices({"ETH": (STALE, t0 + 10)}))  # nonce 3, waiting
        while not await pool_of(chain, updater.address):
            await asyncio.sleep(0.02)

        await asyncio.to_thread(each_kind_chains.restart, local)  # the sender keeps polling through it
        with pytest.raises(TxFailed, match="went backwards") as caught:
            await send
        assert caught.value.tx_hash
        # Nothing was re-sent into the new chain's gap (nonce 3 on a chain at 0): nothing can land later.
        assert await pool_of(chain, updater.address) == {}
        assert await chain.nonce(updater.address, "pending") == 0
        # The new chain mines at once again: redeployed, the next price goes out at its nonce 0.
        await deploy_oracle(chain, TxSender(chain, local.keys[0]), updater.address)
        assert (await oracle.set_prices({"ETH": (NEWER, t0 + 20)})).nonce == 0
    finally:
        await chain.close()


async def test_a_stale_price_queued_behind_a_nonce_gap_is_superseded_at_start(own_chains: ChainStarter) -> None:
    """The exact trap of issue 10: a setPrices sent with a nonce ahead of the chain waits in the pool
    until the account's nonce reaches it. At start the sender swaps it for a cancel at that nonce."""
    if own_chains.kind != "anvil":
        pytest.skip("the py-evm chain refuses a nonce gap instead of queueing it, so there is nothing to supersede")
    local = own_chains.start()
    chain = await Chain.connect(local.url)
    try:
        updater = TxSender(chain, local.keys[1], poll_interval=0.02)
        address = await deploy_oracle(chain, TxSender(chain, local.keys[0]), updater.address)
        oracle = PriceOracle(chain, address, updater)
        t0 = int(time.time()) - 100
        await oracle.set_prices({"ETH": (NEWER, t0)})  # the account is at nonce 1
        stale = Account.from_key(local.keys[1]).sign_transaction({  # an old process, its cached nonce 3
            "chainId": chain.chain_id, "nonce": 3, "to": address, "value": 0, "gas": 200_000, "type": 2,
            "maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 10**9,
            "data": PriceOracle.encode_set_prices({"ETH": (STALE, int(time.time()))}),  # even "newer" than t0
        })
        await chain.w3.eth.send_raw_transaction(stale.raw_transaction)
        assert list(await pool_of(chain, updater.address)) == [3]  # queued behind the gap

        (resolution,) = await updater.resolve_pending()
        assert (resolution.nonce, resolution.outcome) == (3, "superseded")
        for i in (1, 2):  # the account's nonce reaches 3: what is mined there is the cancel
            await oracle.set_prices({"ETH": (NEWER + i, t0 + i)})
        await mine(chain)
        assert await chain.nonce(updater.address, "latest") == 4
        assert await chain.receipt("0x" + stale.hash.hex().removeprefix("0x")) is None
        assert (await chain.w3.eth.get_transaction(resolution.tx_hash))["to"] == updater.address  # type: ignore[arg-type]
        assert (await oracle.get_price("ETH")).price == NEWER + 2
    finally:
        await chain.close()
