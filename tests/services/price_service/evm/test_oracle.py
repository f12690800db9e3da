"""PriceOracle end to end on a real anvil AND on the py-evm dev chain (the `any_chain` fixture)."""

from __future__ import annotations

import time

import pytest
from eth_abi import encode

from devnet.chain.local import LocalChain
from services.price_service.evm.errors import TxReverted
from services.price_service.evm.oracle import PRICE_UPDATED_TOPIC, PriceOracle, load_artifact
from shared.feeds.evm_oracle import asset_key
from shared.feeds.onchain_price import OnChainPrice
from tests.fixtures.chain import evm_clients, fresh

SET_PRICES_SELECTOR = "01f90b69"  # setPrices(bytes32[],uint256[],uint64[])

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
        seen = int(time.time()) - 7  # when the source observed the prices, not when they are mined
        result = await evm.oracle.set_prices({"BTC": (BTC, seen), "ETH": (ETH, seen - 1)})
        assert result.tx_hash.startswith("0x") and len(result.tx_hash) == 66
        assert result.block_number > 0 and result.gas_used > 0 and result.contract_address is None
        assert result.written == {"BTC": (BTC, seen), "ETH": (ETH, seen - 1)}

        prices = await evm.oracle.get_prices(["BTC", "ETH", "NOPE"])
        assert prices["BTC"] == OnChainPrice(price=BTC, updated_at=seen)  # updatedAt is the stored observedAt
        assert prices["ETH"] == OnChainPrice(price=ETH, updated_at=seen - 1)
        assert prices["NOPE"] == OnChainPrice(price=0, updated_at=0)  # unknown asset → (0, 0)
        assert not prices["NOPE"].exists

        # One event per asset, from the one transaction.
        receipt = await evm.chain.w3.eth.get_transaction_receipt(result.tx_hash)
        topics = [(bytes(log["topics"][0]).hex(), bytes(log["topics"][1])) for log in receipt["logs"]]
        assert topics == [(PRICE_UPDATED_TOPIC[2:], asset_key("BTC")), (PRICE_UPDATED_TOPIC[2:], asset_key("ETH"))]


async def test_an_observation_not_newer_is_skipped_while_the_rest_of_the_batch_lands(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        now = await evm.chain.latest_timestamp()
        await evm.oracle.set_prices({"BTC": (BTC, now), "ETH": (ETH, now)})
        # A late batch: BTC observed earlier (a stuck transaction), ETH at the same second, SOL new.
        late = await evm.oracle.set_prices({"BTC": (BTC // 2, now - 60), "ETH": (ETH // 2, now), "SOL": (150 * 10**8, now)})
        assert late.written == {"SOL": (150 * 10**8, now)}  # no revert: only the newer entry is written
        receipt = await evm.chain.w3.eth.get_transaction_receipt(late.tx_hash)
        assert receipt["status"] == 1 and [bytes(log["topics"][1]) for log in receipt["logs"]] == [asset_key("SOL")]
        prices = await evm.oracle.get_prices(["BTC", "ETH", "SOL"])
        assert prices["BTC"] == OnChainPrice(BTC, now) and prices["ETH"] == OnChainPrice(ETH, now)
        assert prices["SOL"] == OnChainPrice(150 * 10**8, now)
        newer = await evm.oracle.set_prices({"BTC": (BTC + 1, now + 1)})
        assert newer.written == {"BTC": (BTC + 1, now + 1)}


async def test_an_observation_more_than_five_minutes_ahead_reverts(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        now = await evm.chain.latest_timestamp()
        with pytest.raises(TxReverted) as caught:  # caught at estimate time: nothing sent
            await evm.oracle.set_prices({"BTC": (BTC, now), "ETH": (ETH, now + 3600)})
        assert caught.value.reason == "Observation in the future"
        with pytest.raises(TxReverted, match="Observation in the future") as mined:
            await evm.oracle.set_prices({"ETH": (ETH, now + 3600)}, gas=200_000)
        assert mined.value.tx_hash  # mined with status 0, reason recovered
        assert (await evm.oracle.get_price("BTC")).updated_at == 0  # the whole batch reverted
        # Up to 300 s ahead of the block is accepted (clock skew between sources and chain).
        block_time = await evm.chain.latest_timestamp()
        ahead = await evm.oracle.set_prices({"ETH": (ETH, block_time + 290)})
        assert ahead.written == {"ETH": (ETH, block_time + 290)}


async def test_non_updater_is_rejected_with_the_reason(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        stranger = evm.oracle_as(2)
        # Caught at gas estimation: nothing is sent.
        with pytest.raises(TxReverted) as caught:
            await stranger.set_prices(await fresh(evm.oracle, {"BTC": BTC}))
        assert caught.value.reason == "Not updater"
        assert caught.value.tx_hash is None
        # With an explicit gas limit it is mined with status 0; the reason is recovered all the same.
        with pytest.raises(TxReverted) as mined:
            await stranger.set_prices(await fresh(evm.oracle, {"BTC": BTC}), gas=200_000)
        assert mined.value.reason == "Not updater"
        assert mined.value.tx_hash is not None
        receipt = await evm.chain.w3.eth.get_transaction_receipt(mined.value.tx_hash)
        assert receipt["status"] == 0
        # The deployer (owner) is not the updater either.
        with pytest.raises(TxReverted, match="Not updater"):
            await evm.oracle_as(0).set_prices(await fresh(evm.oracle, {"BTC": BTC}))
        assert (await evm.oracle.get_price("BTC")).price == 0


@pytest.mark.parametrize(
    ("keys", "prices", "times", "reason"),
    [
        ([asset_key("BTC"), asset_key("ETH")], [BTC], [1, 1], "Length mismatch"),
        ([asset_key("BTC"), asset_key("ETH")], [BTC, ETH], [1], "Length mismatch"),
        ([asset_key("BTC")], [0], [1], "Zero price"),
        ([asset_key("BTC")], [2**192], [1], "Price too large"),
        ([], [], [], "Empty batch"),
    ],
)
async def test_invalid_batches_revert_with_their_reason(
    any_chain: LocalChain, keys: list[bytes], prices: list[int], times: list[int], reason: str
) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        selector = bytes.fromhex(SET_PRICES_SELECTOR)
        data = selector + encode(["bytes32[]", "uint256[]", "uint64[]"], [keys, prices, times])
        with pytest.raises(TxReverted) as caught:
            await evm.updater.send(evm.oracle.address, data)
        assert caught.value.reason == reason
        with pytest.raises(TxReverted) as mined:
            await evm.updater.send(evm.oracle.address, data, gas=300_000)
        assert mined.value.reason == reason and mined.value.tx_hash


async def test_set_prices_api_reverts_for_zero_and_empty(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        with pytest.raises(TxReverted, match="Zero price"):
            await evm.oracle.set_prices(await fresh(evm.oracle, {"BTC": BTC, "ETH": 0}))
        with pytest.raises(TxReverted, match="Empty batch"):
            await evm.oracle.set_prices({})
        assert (await evm.oracle.get_price("BTC")).updated_at == 0  # the whole batch reverted


async def test_last_update_tx_hashes_point_at_the_latest_update(any_chain: LocalChain) -> None:
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        first = await evm.oracle.set_prices(await fresh(evm.oracle, {"BTC": BTC, "ETH": ETH}))
        second = await evm.oracle.set_prices(await fresh(evm.oracle, {"BTC": BTC + 1}))
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
            await evm.oracle.set_prices(await fresh(evm.oracle, {"BTC": BTC}))
        await evm.oracle_as(3).set_prices(await fresh(evm.oracle, {"BTC": BTC}))
        assert (await evm.oracle.get_price("BTC")).price == BTC


async def test_a_push_after_the_chain_sat_idle_is_judged_by_the_next_block(any_chain: LocalChain) -> None:
    # A chain that mines on demand keeps the time of its last block while idle; the push carries the
    # present time, which the next block accepts but the stale last block would refuse (> 5 min ahead).
    async with evm_clients(any_chain.url, any_chain.keys) as evm:
        last_block = await evm.chain.latest_timestamp()
        await evm.chain.w3.provider.make_request("evm_increaseTime", [600])  # type: ignore[arg-type]
        observed = last_block + 600
        written = await evm.oracle.set_prices({"BTC": (BTC, observed)})
        assert written.written == {"BTC": (BTC, observed)}
        assert await evm.oracle.get_price("BTC") == OnChainPrice(BTC, observed)
