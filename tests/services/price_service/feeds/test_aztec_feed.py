"""nocom-v1's Aztec feed written through the PXE: at most 4 assets a transaction, 4 decimals, the push
times this service keeps since the feed keeps none, and ASSET_TOKENS checked against each token."""

from __future__ import annotations

import pytest

from devnet.pxe.background import running_dev_pxe
from services.price_service.feeds import FeedMisconfigured, FeedPrice, round_to_decimals
from services.price_service.feeds.aztec import AztecFeedConfig, AztecPriceFeed, Record, set_prices_args
from shared.pxe.client import PxeClient
from shared.pxe.fields import to_field

ADMIN_KEY = "0x" + "0a" * 31


async def nothing_newer() -> dict[str, FeedPrice]:
    return {}


class Records:
    def __init__(self) -> None:
        self.saved: list[Record] = []

    async def load(self) -> list[Record]:
        return list(self.saved)

    async def save(self, records: list[Record]) -> None:
        self.saved.extend(records)


def test_set_prices_args_are_two_padded_bounded_vecs() -> None:
    args = set_prices_args(["0x01", "0x02"], [10, 20], 4)
    assert args == [to_field(1), to_field(2), to_field(0), to_field(0), to_field(2),
                    to_field(10), to_field(20), to_field(0), to_field(0), to_field(2)]
    with pytest.raises(ValueError):
        set_prices_args(["0x01"] * 5, [1] * 5, 4)


@pytest.mark.parametrize("price_8, price_4", [(97_000_12_345_678, 97_000_1235), (1_00_004_999, 1_0000),
                                              (1_00_005_000, 1_0001), (4_999, 0)])
def test_quotes_are_rounded_half_up_to_the_feeds_four_decimals(price_8: int, price_4: int) -> None:
    assert round_to_decimals(price_8, 4) == price_4


async def test_ten_due_assets_are_three_transactions_from_the_admin() -> None:
    symbols = [f"T{i}" for i in range(10)]
    async with running_dev_pxe(protocol="nocom-v1", block_time=0.05) as pxe:
        admin = pxe.admin
        feed = admin.create_feed(ADMIN_KEY)["address"]
        tokens = {s: admin.create_token(s) for s in symbols}
        records = Records()
        async with PxeClient(pxe.url, timeout=10) as client:
            config = AztecFeedConfig(feed, ADMIN_KEY, tokens, 4, 4, receipt_timeout=10)
            aztec = AztecPriceFeed(client, config, records.load, records.save)
            await aztec.prepare()
            sends = pxe.calls["pxe_sendTx"]
            prices = {s: FeedPrice((i + 1) * 10**4, 1_750_000_000 + i) for i, s in enumerate(symbols)}
            outcome = await aztec.push(prices, nothing_newer)
            assert outcome.failed == {} and len(outcome.pushed) == 3
            assert pxe.calls["pxe_sendTx"] - sends == 3
            read = await aztec.read(symbols)
            assert {s: (p.price, p.updated_at) for s, p in read.items()} == \
                {s: (p.price, p.observed_at) for s, p in prices.items()}
            assert len(records.saved) == 10  # the times the feed does not keep, kept by the service


async def test_a_token_address_that_is_not_its_symbols_is_refused_at_start() -> None:
    async with running_dev_pxe(protocol="nocom-v1", block_time=0) as pxe:
        feed = pxe.admin.create_feed(ADMIN_KEY)["address"]
        btc, eth = pxe.admin.create_token("BTC"), pxe.admin.create_token("ETH")
        async with PxeClient(pxe.url, timeout=10) as client:
            records = Records()
            swapped = AztecPriceFeed(client, AztecFeedConfig(feed, ADMIN_KEY, {"BTC": eth, "ETH": btc}, 4, 4),
                                     records.load, records.save)
            with pytest.raises(FeedMisconfigured, match="the token given for BTC is ETH's"):
                await swapped.prepare()
