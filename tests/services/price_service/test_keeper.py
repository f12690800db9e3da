"""The poll cycle against small fakes: what goes on-chain, when, and that a waiting push never stops the polls."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from services.price_service.assets import AssetRegistry
from services.price_service.keeper import PriceKeeper
from services.price_service.metrics import PriceMetrics
from services.price_service.models import Base
from services.price_service.quotes import ConsensusRule, QuoteBook
from services.price_service.settings import PriceServiceSettings
from shared.feeds.onchain_price import OnChainPrice
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY
from tests.fixtures.databases import tracked_database
from tests.services.price_service.fakes import FakeFeed, FakeSource, RecordingNotifier

NOW = 1_750_000_000
BTC = 97_000 * 10**8


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


async def keeper_for(tmp_path: Path, feed: FakeFeed, *sources: FakeSource, **settings: Any) -> tuple[PriceKeeper, Clock]:
    db = tracked_database(f"sqlite+aiosqlite:///{tmp_path}/price.db")
    await db.create_all(Base.metadata)
    registry = AssetRegistry(db, 50)
    await registry.add("BTC", "Bitcoin", NOW)
    s = load_settings(PriceServiceSettings, liquidation_api_key=TEST_API_KEY, environment="development", **settings)
    clock = Clock()
    metrics = PriceMetrics()
    book = QuoteBook(list(sources), ConsensusRule(s.required_sources if len(sources) > 1 else 1,
                                                  s.max_source_spread, s.source_max_age), metrics, clock)
    return PriceKeeper(s, registry, book, feed, RecordingNotifier(), metrics, clock), clock  # type: ignore[arg-type]


def quote(source: FakeSource, price: int, at: float) -> None:
    source.prices["BTC"] = (price, int(at))


async def test_a_first_price_goes_on_chain_and_the_engine_hears_of_it(tmp_path: Path) -> None:
    feed, cmc = FakeFeed(), FakeSource("cmc")
    keeper, clock = await keeper_for(tmp_path, feed, cmc)
    quote(cmc, BTC, clock.now)
    await keeper.cycle()
    await keeper.idle()
    assert feed.pushes == [{"BTC": feed.pushes[0]["BTC"]}] and feed.pushes[0]["BTC"].price == BTC
    [updates] = keeper._notifier.sent  # type: ignore[union-attr]
    assert updates[0]["asset"] == "BTC" and updates[0]["price"] == "97000" and updates[0]["timestamp"] == NOW


async def test_polling_goes_on_while_a_push_waits_and_hands_it_the_newest_price(tmp_path: Path) -> None:
    feed, cmc = FakeFeed(), FakeSource("cmc")
    keeper, clock = await keeper_for(tmp_path, feed, cmc)
    feed.gate.clear()  # the transaction is not mined
    quote(cmc, BTC, clock.now)
    await keeper.cycle()
    await asyncio.sleep(0)
    assert keeper.push is not None and keeper.pending_for() >= 0
    for step in range(1, 4):
        clock.now += 60
        quote(cmc, BTC + step * 10**10, clock.now)  # +1 % a minute
        await asyncio.wait_for(keeper.cycle(), 1)  # never waits for the push
        assert keeper.status.last_fetch_at == int(clock.now)
    assert len(feed.pushes) == 1  # one transaction in flight, never a second beside it
    feed.gate.set()
    await keeper.idle()
    assert feed.latest_seen[0]["BTC"].price == BTC + 3 * 10**10  # its replacement carried the newest
    assert feed.prices["BTC"].price == BTC + 3 * 10**10


def without_replacement(feed: FakeFeed) -> None:
    """A feed whose push never takes newer prices while it waits (nocom-v1's: a transaction is not replaced)."""
    async def nothing_newer() -> dict[str, Any]:
        return {}

    original_push = feed.push

    async def push_without_replacement(prices: Any, _latest: Any) -> Any:
        return await original_push(prices, nothing_newer)

    feed.push = push_without_replacement  # type: ignore[method-assign]


async def test_due_prices_found_during_a_push_follow_it_when_it_did_not_carry_them(tmp_path: Path) -> None:
    feed, cmc = FakeFeed(), FakeSource("cmc")
    keeper, clock = await keeper_for(tmp_path, feed, cmc)
    without_replacement(feed)
    feed.gate.clear()
    quote(cmc, BTC, clock.now)
    await keeper.cycle()
    clock.now += 60
    quote(cmc, BTC * 2 // 1_000 * 1_011 // 2, clock.now)  # +1.1 %
    await keeper.cycle()
    feed.gate.set()
    await keeper.idle()
    assert len(feed.pushes) == 2 and feed.pushes[1]["BTC"].price == BTC * 2 // 1_000 * 1_011 // 2


async def test_an_unreachable_chain_is_a_failed_update_counted_and_said(tmp_path: Path) -> None:
    feed, cmc = FakeFeed(down=True), FakeSource("cmc")
    keeper, clock = await keeper_for(tmp_path, feed, cmc)
    quote(cmc, BTC, clock.now)
    await keeper.cycle()
    assert keeper.status.last_update_ok is False and "chain unreachable" in (keeper.status.update_error or "")
    assert keeper._metrics.registry.get_sample_value("price_service_onchain_update_failures_total") == 1
    assert feed.pushes == []


async def test_an_observation_not_newer_than_the_chain_is_never_pushed(tmp_path: Path) -> None:
    feed, cmc = FakeFeed(), FakeSource("cmc")
    feed.prices["BTC"] = OnChainPrice(BTC // 2, NOW, "0x1")
    keeper, clock = await keeper_for(tmp_path, feed, cmc)
    quote(cmc, BTC, NOW)  # a big move, but observed no later than the on-chain price
    await keeper.cycle()
    await keeper.idle()
    assert feed.pushes == []


async def test_a_single_sources_move_is_not_pushed_when_two_must_agree(tmp_path: Path) -> None:
    feed = FakeFeed()
    cmc, kraken = FakeSource("cmc"), FakeSource("kraken")
    feed.prices["BTC"] = OnChainPrice(BTC, NOW - 60, "0x1")
    keeper, clock = await keeper_for(tmp_path, feed, cmc, kraken, price_sources="cmc,kraken", cmc_api_key="cmc-test-key-5d41402abc4b2a76b9719d911017c592")
    quote(cmc, BTC * 90 // 100, clock.now)  # -10 % on one source only
    await keeper.cycle()
    await keeper.idle()
    assert feed.pushes == [] and keeper.book.no_price["BTC"].reason.value == "too_few_sources"
    quote(kraken, BTC * 90 // 100 + 1, clock.now)  # the second source agrees
    await keeper.cycle()
    await keeper.idle()
    assert [p["BTC"].price for p in feed.pushes] == [BTC * 90 // 100]


async def test_a_price_found_due_during_a_push_is_not_pushed_again_when_that_push_made_it_current(tmp_path: Path) -> None:
    # An asset added while the feed is empty is "initial" at every poll until the first push lands; a feed
    # without replacement (nocom-v1) used to push it a second time once the first was mined (seen on the
    # real network: ZEC set in three blocks in a row).
    feed, cmc = FakeFeed(), FakeSource("cmc")
    keeper, clock = await keeper_for(tmp_path, feed, cmc)
    without_replacement(feed)
    feed.gate.clear()
    quote(cmc, BTC, clock.now)
    await keeper.cycle()
    clock.now += 5
    quote(cmc, BTC + BTC // 1000, clock.now)  # +0.1 %: "initial" now, not significant once BTC is on the feed
    await keeper.cycle()
    feed.gate.set()
    await keeper.idle()
    assert len(feed.pushes) == 1
