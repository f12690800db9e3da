"""The one Aztec feed reader reads prices from the feed's public storage through the node: exactly what
`get_price` answers, without a PXE job (so never behind a proof), for any number of tokens in one batch."""

from __future__ import annotations

import pytest

from devnet.pxe.background import running_dev_pxe
from shared.feeds.aztec import AztecFeedReader
from shared.feeds.onchain_price import PricesUnavailable
from shared.pxe.client import PxeClient

ADMIN_KEY = "0x" + "0b" * 31


async def test_storage_reads_give_what_get_price_gives_and_run_no_pxe_job() -> None:
    async with running_dev_pxe(protocol="nocom-v1", block_time=0) as pxe:
        admin = pxe.admin
        feed = admin.create_feed(ADMIN_KEY)["address"]
        tokens = {s: admin.create_token(s) for s in ("BTC", "ETH", "ZEC")}
        admin.call("dev_setFeedPrices", [{"BTC": 97_000_0000, "ETH": 3_400_1234}, feed])
        async with PxeClient(pxe.url, timeout=10) as client:
            views = {s: (await client.simulate_view("get_price", [t], feed))[0] for s, t in tokens.items()}
            before = dict(pxe.calls)
            read = await AztecFeedReader(client, feed).prices(tokens)
        assert read == views == {"BTC": 97_000_0000, "ETH": 3_400_1234, "ZEC": 0}
        new_calls = {m: n - before.get(m, 0) for m, n in pxe.calls.items() if n != before.get(m, 0)}
        assert new_calls == {"node_getPublicStorageAt": 3}


async def test_a_feed_that_is_not_there_or_not_configured_is_unavailable_not_zero() -> None:
    async with running_dev_pxe(protocol="nocom-v1", block_time=0) as pxe, PxeClient(pxe.url, timeout=5, read_attempts=1) as client:
        with pytest.raises(PricesUnavailable, match="PRICE_FEED_ADDRESS"):
            await AztecFeedReader(client, "").prices({"BTC": "0x01"})
    async with PxeClient("http://127.0.0.1:9", timeout=1, read_attempts=1) as client:
        with pytest.raises(PricesUnavailable, match="unreadable"):
            await AztecFeedReader(client, "0x2a").prices({"BTC": "0x01"})
