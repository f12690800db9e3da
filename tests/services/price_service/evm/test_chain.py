"""Chain / TxSender: nonces under concurrency, recovery after errors, unreachable nodes."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from web3.exceptions import ContractLogicError, Web3RPCError

from devnet.chain.local import LocalChain
from services.price_service.evm.chain import Chain, TxResult, TxSender
from services.price_service.evm.errors import TxFailed, TxReverted, revert_reason
from services.price_service.evm.oracle import PriceOracle
from tests.fixtures.chain import evm_clients, fresh


def _dead_url() -> str:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_ten_concurrent_sends_from_one_key_use_consecutive_nonces(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        start = await evm.chain.w3.eth.get_transaction_count(evm.updater.address)
        now = int(time.time())
        batches = [{"BTC": (1_000 + i, now + i)} for i in range(10)]  # observed one after the other
        results = await asyncio.gather(*(evm.oracle.set_prices(batch) for batch in batches))
        assert all(isinstance(r, TxResult) for r in results)
        assert len({r.tx_hash for r in results}) == 10
        txs = await asyncio.gather(*(evm.chain.w3.eth.get_transaction(r.tx_hash) for r in results))
        assert sorted(tx["nonce"] for tx in txs) == list(range(start, start + 10))
        assert sorted(r.nonce for r in results) == list(range(start, start + 10))
        assert await evm.chain.w3.eth.get_transaction_count(evm.updater.address) == start + 10
        # Whatever order they were mined in, the newest observation is the one that stays.
        assert (await evm.oracle.get_price("BTC")).price == 1_009


async def test_senders_for_the_same_key_share_one_nonce_manager(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        twin = PriceOracle(evm.chain, evm.oracle.address, TxSender(evm.chain, evm.keys[1]))
        assert await twin.sender.nonce_manager() is await evm.updater.nonce_manager()  # type: ignore[union-attr]
        now = int(time.time())
        results = await asyncio.gather(
            *(evm.oracle.set_prices({"ETH": (10 + i, now + i)}) for i in range(4)),
            *(twin.set_prices({"ETH": (20 + i, now + 4 + i)}) for i in range(4)),
        )
        assert len({r.tx_hash for r in results}) == 8


async def test_next_send_works_after_failed_sends(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        await evm.oracle.set_prices(await fresh(evm.oracle, {"BTC": 1}))
        # A revert at estimate time consumes no nonce...
        with pytest.raises(TxReverted):
            await evm.oracle.set_prices(await fresh(evm.oracle, {"BTC": 0}))
        # ...a mined revert consumes exactly one...
        with pytest.raises(TxReverted):
            await evm.oracle.set_prices(await fresh(evm.oracle, {"BTC": 0}), gas=200_000)
        assert (await evm.oracle.set_prices(await fresh(evm.oracle, {"BTC": 2}))).block_number > 0

        # ...and a cached nonce that went wrong behind our back is corrected from the node's count:
        manager = await evm.updater.nonce_manager()
        assert manager.next_nonce is not None
        manager.next_nonce -= 1  # behind (another process sent): follow the chain
        assert (await evm.oracle.set_prices(await fresh(evm.oracle, {"BTC": 3}))).block_number > 0
        resyncs = manager.resyncs
        manager.next_nonce += 5  # ahead (the chain went backwards): dropped and counted, never used
        result = await evm.oracle.set_prices(await fresh(evm.oracle, {"BTC": 4}))
        assert manager.resyncs == resyncs + 1
        assert result.nonce == await evm.chain.nonce(evm.updater.address, "latest") - 1
        assert (await evm.oracle.get_price("BTC")).price == 4


async def test_plain_value_transfer_and_latest_timestamp(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        receiver = evm.sender(4).address
        before = await evm.chain.w3.eth.get_balance(receiver)
        result = await evm.deployer.send(receiver, b"", value=12345)
        assert result.gas_used == 21_000
        assert await evm.chain.w3.eth.get_balance(receiver) == before + 12345
        assert abs(await evm.chain.latest_timestamp() - time.time()) < 60
        assert await evm.chain.is_connected()
        assert evm.chain.chain_id == 31337


async def test_unreachable_rpc_gives_tx_failed_and_not_connected() -> None:
    url = _dead_url()
    chain = Chain(url, request_timeout=2)
    try:
        assert await chain.is_connected() is False
        with pytest.raises(RuntimeError):
            _ = chain.chain_id
        sender = TxSender(chain, "0x" + "11" * 32)
        with pytest.raises(TxFailed) as caught:
            await sender.send(sender.address, b"")
        assert url.rsplit(":", 1)[1] in caught.value.error or "unreachable" in caught.value.error
        oracle = PriceOracle(chain, "0x000000000000000000000000000000000000dEaD", sender)
        with pytest.raises(TxFailed):
            await oracle.get_price("BTC")
        with pytest.raises(TxFailed):
            await oracle.set_prices({"BTC": (1, 1)})
        with pytest.raises(TxFailed):
            await oracle.last_update_tx_hashes(["BTC"])
        with pytest.raises(TxFailed):
            await chain.latest_timestamp()
    finally:
        await chain.close()
    with pytest.raises(TxFailed):
        await Chain.connect(url, request_timeout=2)


async def test_a_node_that_never_answers_times_out_as_tx_failed() -> None:
    server = await asyncio.start_server(lambda r, w: asyncio.sleep(30), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        chain = Chain(f"http://127.0.0.1:{port}", request_timeout=0.3)
        started = time.monotonic()
        assert await chain.is_connected() is False
        with pytest.raises(TxFailed, match="timed out|cannot read chain id"):
            await TxSender(chain, "0x" + "22" * 32).send("0x000000000000000000000000000000000000dEaD", b"")
        assert time.monotonic() - started < 10
        await chain.close()
    finally:
        server.close()


async def test_a_send_given_up_is_cancelled_and_never_lands_later(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        w3 = evm.chain.w3
        await w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
        try:
            slow = TxSender(evm.chain, evm.keys[1], receipt_timeout=0.3, replace_after=None, cancel_timeout=0.3)
            nonce = await evm.chain.nonce(slow.address, "pending")
            with pytest.raises(TxFailed) as caught:
                await PriceOracle(evm.chain, evm.oracle.address, slow).set_prices({"BTC": (5, int(time.time()))})
            # Nothing mines here: the original was swapped for a cancel in the pool, which is not mined yet.
            assert caught.value.tx_hash and "cancel" in caught.value.error and slow.stats.gave_up == 1
            assert nonce in (await slow.nonce_manager()).orphans
        finally:
            await w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
            await w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        assert await evm.chain.receipt(caught.value.tx_hash) is None  # the given-up price never landed
        assert (await evm.oracle.get_price("BTC")).price == 0
        top = await w3.eth.block_number
        blocks = [await w3.eth.get_block(n, full_transactions=True) for n in (top - 1, top)]
        mined = [(tx["nonce"], tx["to"], tx["value"]) for b in blocks for tx in b["transactions"] if tx["from"] == slow.address]
        assert mined == [(nonce, slow.address, 0)]  # what was mined at its nonce: the cancel
        # The next send resolves the orphan first (already mined) and goes through.
        assert (await evm.oracle.set_prices(await fresh(evm.oracle, {"BTC": 6}))).block_number > 0
        assert not (await slow.nonce_manager()).orphans


def test_revert_reason_normalises_each_node_shape() -> None:
    error_not_updater = (
        "0x08c379a0"
        "0000000000000000000000000000000000000000000000000000000000000020"
        "000000000000000000000000000000000000000000000000000000000000000b"
        "4e6f742075706461746572000000000000000000000000000000000000000000"
    )
    # geth/anvil eth_estimateGas: message + Error(string) data.
    assert revert_reason(ContractLogicError("execution reverted: Not updater", data=error_not_updater)) == "Not updater"
    # data only, in the 'Reverted 0x…' form some nodes use.
    assert revert_reason(ContractLogicError("execution reverted", data="Reverted " + error_not_updater)) == "Not updater"
    # message only.
    assert revert_reason(ContractLogicError("execution reverted: Zero price", data=None)) == "Zero price"
    assert revert_reason(ContractLogicError("execution reverted", data="0x")) == "execution reverted"
    # panic and custom errors.
    panic = "0x4e487b71" + "11".rjust(64, "0")
    assert revert_reason(ContractLogicError("Panic", data=panic)) == "Panic(0x11)"
    assert revert_reason(ContractLogicError("custom", data="0xdeadbeef")) == "custom error 0xdeadbeef"
    # a JSON-RPC error object from eth_sendRawTransaction.
    rpc = Web3RPCError("x", rpc_response={"error": {"code": 3, "message": "execution reverted: Length mismatch"}})
    assert revert_reason(rpc) == "Length mismatch"
    not_revert = Web3RPCError("x", rpc_response={"error": {"code": -32000, "message": "nonce too low"}})
    assert revert_reason(not_revert) is None
    assert revert_reason(ConnectionError("refused")) is None


async def test_balance_is_exact_wei(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        payer, payee = evm.sender(5), evm.sender(6).address
        before, payee_before = await evm.chain.balance(payer.address), await evm.chain.balance(payee)
        result = await payer.send(payee, b"", value=12_345)
        receipt = await evm.chain.receipt(result.tx_hash)
        cost = receipt["gasUsed"] * receipt["effectiveGasPrice"]
        assert await evm.chain.balance(payer.address) == before - 12_345 - cost
        assert await evm.chain.balance(payee) == payee_before + 12_345
        assert await evm.chain.balance(payee) == await evm.chain.w3.eth.get_balance(payee)
