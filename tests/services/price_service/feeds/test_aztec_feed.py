"""nocom-v1's Aztec feed written through the PXE: at most 4 assets a set_prices call, as many calls a
transaction as the entrypoint carries (pxe_getTxLimits), 4 decimals, the push times this service keeps
since the feed keeps none, ASSET_TOKENS checked against each token in either flavour, sends through the
send gateways and reads through the read gateways."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from devnet.pxe.background import RunningDevPxe, running_dev_pxe
from services.price_service.feeds import FeedMisconfigured, FeedPrice, round_to_decimals
from services.price_service.feeds.aztec import AztecFeedConfig, AztecPriceFeed, Record
from services.price_service.feeds.aztec_txs import pack, set_prices_args
from shared.protocols import nocom_v1
from shared.pxe.client import Call, PxeClient
from shared.pxe.gateways import PxeGateways
from tests.shared.jsonrpc_proxy import proxy
from tests.shared.pxe.test_token_symbol import aztec_token

ADMIN_KEY = "0x" + "0a" * 31
OTHER_KEY = "0x" + "0b" * 31
T0 = 1_750_000_000


async def nothing_newer() -> dict[str, FeedPrice]:
    return {}


class Records:
    def __init__(self) -> None:
        self.saved: list[Record] = []

    async def load(self) -> list[Record]:
        return list(self.saved)

    async def save(self, records: list[Record]) -> None:
        self.saved.extend(records)


def gateways(*urls: str) -> PxeGateways:
    return PxeGateways(list(urls), reads=nocom_v1.READS, timeout=10)


@asynccontextmanager
async def feed_on(pxe: RunningDevPxe, symbols: list[str], send: PxeGateways | None = None,
                  read: PxeGateways | None = None, **config: Any) -> AsyncIterator[tuple[AztecPriceFeed, dict[str, str]]]:
    address = pxe.admin.create_feed(ADMIN_KEY)["address"]
    tokens = {s: pxe.admin.create_token(s) for s in symbols}
    records = Records()
    aztec = AztecPriceFeed(send or gateways(pxe.url), AztecFeedConfig(address, ADMIN_KEY, tokens, 4, 4, receipt_timeout=10, **config),
                           records.load, records.save, read=read)
    try:
        yield aztec, tokens
    finally:
        await aztec.close()


def prices_for(symbols: list[str], step: int = 1) -> dict[str, FeedPrice]:
    return {s: FeedPrice((i + step) * 10**4, T0 + i) for i, s in enumerate(symbols)}


def test_set_prices_args_are_two_padded_bounded_vecs() -> None:
    args = set_prices_args(["0x01", "0x02"], [10, 20], 4)
    assert args == ["0x" + f"{v:064x}" for v in (1, 2, 0, 0, 2, 10, 20, 0, 0, 2)]
    with pytest.raises(ValueError):
        set_prices_args(["0x01"] * 5, [1] * 5, 4)


def test_fifty_assets_pack_into_thirteen_calls_in_three_transactions() -> None:
    entries = [(f"T{i}", f"0x{i + 1:064x}", i + 1) for i in range(50)]
    txs = pack("0x" + "f" * 64, entries, 4, 5)
    assert [len(tx.calls) for tx in txs] == [5, 5, 3] and sum(len(tx.symbols) for tx in txs) == 50
    assert [s for tx in txs for s in tx.symbols] == [s for s, _, _ in entries]
    assert len(pack("0x" + "f" * 64, entries, 4, 4)) == 4  # the gateway with sponsored fees: 4 calls a tx


@pytest.mark.parametrize("price_8, price_4", [(97_000_12_345_678, 97_000_1235), (1_00_004_999, 1_0000),
                                              (1_00_005_000, 1_0001), (4_999, 0)])
def test_quotes_are_rounded_half_up_to_the_feeds_four_decimals(price_8: int, price_4: int) -> None:
    assert round_to_decimals(price_8, 4) == price_4


@pytest.mark.parametrize("max_calls, transactions", [(5, 3), (4, 4)])
async def test_fifty_assets_go_in_as_few_transactions_as_the_entrypoint_carries(max_calls: int, transactions: int) -> None:
    symbols = [f"T{i}" for i in range(50)]
    async with running_dev_pxe(protocol="nocom-v1", block_time=0.05, max_calls=max_calls) as pxe, \
            feed_on(pxe, symbols) as (aztec, _):
        await aztec.prepare()
        assert aztec.calls_per_tx == max_calls
        sends = pxe.calls["pxe_sendTx"]
        prices = prices_for(symbols)
        outcome = await aztec.push(prices, nothing_newer)
        assert outcome.failed == {} and len(outcome.pushed) == transactions
        assert pxe.calls["pxe_sendTx"] - sends == transactions
        read = await aztec.read(symbols)
        assert {s: (p.price, p.updated_at) for s, p in read.items()} == {s: (p.price, p.observed_at) for s, p in prices.items()}
        await aztec.push(prices_for(symbols, 2), nothing_newer)
        assert pxe.calls["pxe_getTxLimits"] == 1  # asked once, at start


async def test_a_revert_reports_every_asset_of_the_transaction_and_they_land_once_possible() -> None:
    symbols = ["BTC", "ETH", "SOL", "DOGE", "ZEC"]
    async with running_dev_pxe(protocol="nocom-v1", block_time=0.05) as pxe, feed_on(pxe, symbols) as (aztec, _):
        await aztec.prepare()
        async with PxeClient(pxe.url, reads=nocom_v1.READS) as client:
            other = await client.register_account(OTHER_KEY)
            assert aztec.admin is not None
            await client.wait_for_receipt(await client.send_tx([Call("change_admin", aztec.address, [other])], [], aztec.admin))
            outcome = await aztec.push(prices_for(symbols), nothing_newer)
            assert outcome.pushed == [] and set(outcome.failed) == set(symbols)
            assert all("Only admin can set prices" in why for why in outcome.failed.values())
            assert {p.price for p in (await aztec.read(symbols)).values()} == {0}  # nothing written
            await client.wait_for_receipt(await client.send_tx([Call("change_admin", aztec.address, [aztec.admin])], [], other))
        outcome = await aztec.push(prices_for(symbols), nothing_newer)
        assert outcome.failed == {} and {p.price for p in (await aztec.read(symbols)).values()} == {10**4, 2 * 10**4, 3 * 10**4,
                                                                                                    4 * 10**4, 5 * 10**4}


async def test_sends_go_through_the_send_gateways_in_turn_and_reads_through_the_read_gateways() -> None:
    symbols = [f"T{i}" for i in range(50)]
    async with running_dev_pxe(protocol="nocom-v1", block_time=0.05) as pxe, \
            proxy(pxe.url) as (send_a, a), proxy(pxe.url) as (send_b, b), proxy(pxe.url) as (read_url, r), \
            feed_on(pxe, symbols, send=gateways(send_a, send_b), read=gateways(read_url)) as (aztec, _):
        await aztec.prepare()
        assert a.calls["pxe_registerAccount"] == b.calls["pxe_registerAccount"] == 1  # the admin, with each send gateway
        outcome = await aztec.push(prices_for(symbols), nothing_newer)
        assert outcome.failed == {} and await aztec.read(symbols)
        assert (a.calls["pxe_sendTx"], b.calls["pxe_sendTx"], r.calls["pxe_sendTx"]) == (2, 1, 0)
        assert r.calls["pxe_simulateView"] == 50 and r.calls["node_getPublicStorageAt"] == 50  # token check, read back
        for send in (a, b):
            assert send.calls["pxe_simulateView"] == send.calls["node_getPublicStorageAt"] == 0


async def test_a_token_address_that_is_not_its_symbols_is_refused_at_start() -> None:
    async with running_dev_pxe(protocol="nocom-v1", block_time=0) as pxe:
        feed = pxe.admin.create_feed(ADMIN_KEY)["address"]
        btc, eth = pxe.admin.create_token("BTC"), pxe.admin.create_token("ETH")
        records = Records()
        swapped = AztecPriceFeed(gateways(pxe.url), AztecFeedConfig(feed, ADMIN_KEY, {"BTC": eth, "ETH": btc}, 4, 4),
                                 records.load, records.save)
        with pytest.raises(FeedMisconfigured, match="the token given for BTC is ETH's"):
            await swapped.prepare()
        await swapped.close()


async def test_aztecs_own_token_passes_the_asset_tokens_check() -> None:
    async with running_dev_pxe(protocol="nocom-v1", block_time=0.05) as pxe, proxy(pxe.url, hook=aztec_token) as (url, seen), \
            feed_on(pxe, ["ZEC", "BTC"], send=gateways(url)) as (aztec, _):
        await aztec.prepare()  # before: "ZEC's token answered symbol() with: Unknown function symbol in contract Token"
        assert seen.calls["pxe_simulateView"] == 4 and aztec.admin is not None


def test_the_prices_answer_names_the_token_a_feed_price_is_keyed_by() -> None:
    # The engine learns from it which token to read a price under before any position names the token.
    from services.price_service.api.routes import price_out
    from services.price_service.service import AssetPrice
    from shared.feeds.onchain_price import OnChainPrice

    token = "0x" + "0a" * 32
    out = price_out(AssetPrice("BTC", None, OnChainPrice(97_000_0000, 1_750_000_000), None, token), 4)
    assert out.onChain is not None and (out.onChain.price, out.onChain.token) == ("97000", token)
    evm = price_out(AssetPrice("BTC", None, OnChainPrice(97_000_00000000, 1_750_000_000), None), 8)
    assert evm.onChain is not None and evm.onChain.token is None
