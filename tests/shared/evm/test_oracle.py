"""PriceOracle end to end on a real anvil AND on the py-evm dev chain (the `any_chain` fixture)."""

from __future__ import annotations

import time

import pytest
from eth_abi import encode

from devnet.chain.local import LocalChain
from shared.evm.chain import TxReverted
from shared.evm.oracle import PRICE_UPDATED_TOPIC, OnChainPrice, PriceOracle, asset_key, load_artifact
from tests.fixtures.chain import evm_clients

BTC = 97_123_45000000  # 97 123.45 with 8 decimals
ETH = 3_512_10000000


async def test_deploy_sets_owner_updater_and_the_committed_code(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        assert await evm.oracle.code_exists()
        assert await evm.oracle.owner() == evm.deployer.address
        assert await evm.oracle.updater() == evm.updater.address
        code = await evm.chain.w3.eth.get_code(evm.oracle.address)
        assert "0x" + bytes(code).hex() == load_artifact()["deployedBytecode"]
        nobody = PriceOracle(evm.chain, "0x000000000000000000000000000000000000dEaD")
        assert not await nobody.code_exists()


async def test_set_prices_batch_then_read_back(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        before = int(time.time())
        result = await evm.oracle.set_prices({"BTC": BTC, "ETH": ETH})
        assert result.tx_hash.startswith("0x") and len(result.tx_hash) == 66
        assert result.block_number > 0 and result.gas_used > 0 and result.contract_address is None

        block = await evm.chain.w3.eth.get_block(result.block_number)
        prices = await evm.oracle.get_prices(["BTC", "ETH", "NOPE"])
        assert prices["BTC"] == OnChainPrice(price=BTC, updated_at=block["timestamp"])
        assert prices["ETH"] == OnChainPrice(price=ETH, updated_at=block["timestamp"])
        assert prices["NOPE"] == OnChainPrice(price=0, updated_at=0)  # unknown asset → (0, 0)
        assert not prices["NOPE"].exists
        # updatedAt is the block time, and the block time follows the wall clock.
        assert before - 5 <= prices["BTC"].updated_at <= int(time.time()) + 2
        assert await evm.chain.latest_timestamp() >= prices["BTC"].updated_at

        # One event per asset, from the one transaction.
        receipt = await evm.chain.w3.eth.get_transaction_receipt(result.tx_hash)
        topics = [(bytes(log["topics"][0]).hex(), bytes(log["topics"][1])) for log in receipt["logs"]]
        assert topics == [(PRICE_UPDATED_TOPIC[2:], asset_key("BTC")), (PRICE_UPDATED_TOPIC[2:], asset_key("ETH"))]


async def test_non_updater_is_rejected_with_the_reason(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        stranger = evm.oracle_as(2)
        # Caught at gas estimation: nothing is sent.
        with pytest.raises(TxReverted) as caught:
            await stranger.set_prices({"BTC": BTC})
        assert caught.value.reason == "Not updater"
        assert caught.value.tx_hash is None
        # With an explicit gas limit it is mined with status 0; the reason is recovered all the same.
        with pytest.raises(TxReverted) as mined:
            await stranger.set_prices({"BTC": BTC}, gas=200_000)
        assert mined.value.reason == "Not updater"
        assert mined.value.tx_hash is not None
        receipt = await evm.chain.w3.eth.get_transaction_receipt(mined.value.tx_hash)
        assert receipt["status"] == 0
        # The deployer (owner) is not the updater either.
        with pytest.raises(TxReverted, match="Not updater"):
            await evm.oracle_as(0).set_prices({"BTC": BTC})
        assert (await evm.oracle.get_price("BTC")).price == 0


@pytest.mark.parametrize(
    ("keys", "prices", "reason"),
    [
        ([asset_key("BTC"), asset_key("ETH")], [BTC], "Length mismatch"),
        ([asset_key("BTC")], [0], "Zero price"),
        ([], [], "Empty batch"),
    ],
)
async def test_invalid_batches_revert_with_their_reason(
    any_chain: LocalChain, keys: list[bytes], prices: list[int], reason: str
) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        selector = bytes.fromhex("1cfdd523")
        data = selector + encode(["bytes32[]", "uint256[]"], [keys, prices])
        with pytest.raises(TxReverted) as caught:
            await evm.updater.send(evm.oracle.address, data)
        assert caught.value.reason == reason
        with pytest.raises(TxReverted) as mined:
            await evm.updater.send(evm.oracle.address, data, gas=300_000)
        assert mined.value.reason == reason and mined.value.tx_hash


async def test_set_prices_api_reverts_for_zero_and_empty(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        with pytest.raises(TxReverted, match="Zero price"):
            await evm.oracle.set_prices({"BTC": BTC, "ETH": 0})
        with pytest.raises(TxReverted, match="Empty batch"):
            await evm.oracle.set_prices({})
        assert (await evm.oracle.get_price("BTC")).updated_at == 0  # the whole batch reverted


async def test_last_update_tx_hashes_point_at_the_latest_update(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        first = await evm.oracle.set_prices({"BTC": BTC, "ETH": ETH})
        second = await evm.oracle.set_prices({"BTC": BTC + 1})
        hashes = await evm.oracle.last_update_tx_hashes(["BTC", "ETH", "SOL"])
        assert hashes == {"BTC": second.tx_hash, "ETH": first.tx_hash}
        updates = await evm.oracle.latest_updates(["BTC", "ETH"])
        current = await evm.oracle.get_prices(["BTC", "ETH"])
        for symbol in ("BTC", "ETH"):
            assert updates[symbol].price == current[symbol].price
            assert updates[symbol].updated_at == current[symbol].updated_at
        # Small scan windows give the same answer (public nodes cap eth_getLogs ranges).
        windowed = await evm.oracle.latest_updates(["BTC", "ETH"], block_range=1)
        assert windowed == updates
        # Starting after both updates finds nothing.
        assert await evm.oracle.last_update_tx_hashes(["BTC"], from_block=second.block_number + 1) == {}
        # Another oracle's events are not ours.
        async with evm_clients(any_chain.url, any_chain.keys) as other:
            assert await other.oracle.last_update_tx_hashes(["BTC", "ETH"]) == {}


async def test_owner_can_hand_over_the_updater_role(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        new_updater = evm.sender(3)
        with pytest.raises(TxReverted, match="Not owner"):
            await evm.oracle.set_updater(new_updater.address)  # the updater is not the owner
        await PriceOracle(evm.chain, evm.oracle.address, evm.deployer).set_updater(new_updater.address)
        assert await evm.oracle.updater() == new_updater.address
        with pytest.raises(TxReverted, match="Not updater"):
            await evm.oracle.set_prices({"BTC": BTC})
        await evm.oracle_as(3).set_prices({"BTC": BTC})
        assert (await evm.oracle.get_price("BTC")).price == BTC
