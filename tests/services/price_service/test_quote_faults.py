"""A source is one vote, never a veto (issue 21): a quote from the future is refused, counted and logged;
the observedAt pushed never exceeds the service's own clock; a quote at 10**30 s never crashes the push
task; a push that raises is logged and counted and the keeper goes on; an on-chain time ahead of our
clock is shown, never skipped silently; the pending push's gauge moves without anyone asking /health."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from services.price_service.consensus import CLOCK_ALLOWANCE
from services.price_service.feeds import FeedPrice, PushOutcome
from shared.feeds.onchain_price import OnChainPrice
from shared.logging import configure_logging
from tests.services.price_service.fakes import FakeFeed, FakeSource
from tests.services.price_service.service_harness import events
from tests.services.price_service.test_keeper import BTC, NOW, keeper_for, quote

CMC_KEY = "cmc-test-key-5d41402abc4b2a76b9719d911017c592"
THREE = {"price_sources": "cmc,coingecko,kraken", "cmc_api_key": CMC_KEY, "coingecko_api_key": "cg-key-9a8b7c6d5e4f3a2b1c"}


def sources() -> tuple[FakeSource, FakeSource, FakeSource]:
    return FakeSource("cmc"), FakeSource("coingecko"), FakeSource("kraken")


def sample(keeper: Any, name: str, **labels: str) -> float | None:
    return keeper._metrics.registry.get_sample_value(name, labels)  # type: ignore[no-any-return]


async def test_a_source_whose_clock_runs_ahead_is_refused_counted_and_logged_and_the_others_push(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("price-service")
    feed = FakeFeed()
    cmc, coingecko, kraken = sources()
    keeper, clock = await keeper_for(tmp_path, feed, cmc, coingecko, kraken, **THREE)
    feed.prices["BTC"] = OnChainPrice(51_000 * 10**8, NOW - 60, "0x1")
    for step in range(3):  # CoinGecko 250 s ahead with an agreeing price (issue 21), three polls in a row
        clock.now += 60
        price = (54_000 + 500 * step) * 10**8
        quote(cmc, price, clock.now - 5), quote(kraken, price + 10**8, clock.now - 3), quote(coingecko, price, clock.now + 250)
        await keeper.cycle()
        await keeper.idle()
        assert feed.prices["BTC"].updated_at <= clock.now  # never a time to come on the feed
    # Each poll's median of the two honest quotes (0.9 % moves), CoinGecko's vote left out.
    assert [p["BTC"].price for p in feed.pushes] == [(54_000 + 500 * step) * 10**8 + 10**8 // 2 for step in range(3)]
    assert feed.pushes[-1]["BTC"].observed_at == int(clock.now) - 3  # every honest quote after it went on
    assert sample(keeper, "price_service_future_quotes_total", source="coingecko") == 3
    logged = events(capsys.readouterr().out, "Quote from the future")
    assert len(logged) == 3 and logged[0]["source"] == "coingecko" and logged[0]["aheadSeconds"] == 250
    assert logged[0]["allowanceSeconds"] == CLOCK_ALLOWANCE


async def test_observed_at_within_the_allowance_is_pushed_as_our_own_clock(tmp_path: Path) -> None:
    feed, cmc = FakeFeed(), FakeSource("cmc")
    keeper, clock = await keeper_for(tmp_path, feed, cmc)
    quote(cmc, BTC, clock.now + CLOCK_ALLOWANCE)  # a source a few seconds fast: accepted, not believed
    await keeper.cycle()
    await keeper.idle()
    assert feed.pushes[0]["BTC"].observed_at == int(clock.now)


@pytest.mark.parametrize("ahead", [3600, 10**30])
async def test_a_lone_quote_from_far_ahead_pushes_nothing_and_crashes_nothing(tmp_path: Path, ahead: int) -> None:
    feed, cmc = FakeFeed(), FakeSource("cmc")
    keeper, clock = await keeper_for(tmp_path, feed, cmc)
    quote(cmc, BTC, clock.now + ahead)
    await keeper.cycle()
    await keeper.idle()
    assert feed.pushes == [] and keeper.book.no_price["BTC"].reason.value == "future"
    quote(cmc, BTC, clock.now)  # the source's clock fixed: the next poll pushes
    await keeper.cycle()
    await keeper.idle()
    assert feed.pushes[0]["BTC"].observed_at == int(clock.now)


async def test_a_push_that_raises_is_logged_counted_and_the_keeper_goes_on(tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("price-service")
    feed, cmc = FakeFeed(), FakeSource("cmc")
    keeper, clock = await keeper_for(tmp_path, feed, cmc)
    original = feed.push
    failures = [ValueError("observedAt of BTC out of range: 1000000000000000000000000000000")]

    async def push(prices: dict[str, FeedPrice], latest: Any) -> PushOutcome:
        if failures:
            raise failures.pop()
        return await original(prices, latest)

    feed.push = push  # type: ignore[method-assign]
    quote(cmc, BTC, clock.now)
    await keeper.cycle()
    await keeper.idle()  # before: "Task exception was never retrieved", and the push task was gone
    assert keeper.push is not None and keeper.push.task.exception() is None
    assert sample(keeper, "price_service_onchain_update_failures_total") == 1
    [failed] = events(capsys.readouterr().out, "Price update failed")
    assert failed["assets"] == ["BTC"] and failed["error"].startswith("unexpected ValueError")
    clock.now += 1
    quote(cmc, BTC, clock.now)
    await keeper.cycle()
    await keeper.idle()
    assert feed.prices["BTC"].price == BTC


async def test_an_onchain_time_ahead_of_our_clock_is_shown_not_skipped_silently(tmp_path: Path,
                                                                                capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("price-service")
    feed, cmc = FakeFeed(), FakeSource("cmc")
    feed.prices["BTC"] = OnChainPrice(51_000 * 10**8, NOW + 240, "0x1")  # stamped by an earlier, fooled push
    keeper, clock = await keeper_for(tmp_path, feed, cmc)
    for _ in range(2):
        clock.now += 10
        quote(cmc, 54_000 * 10**8, clock.now)
        await keeper.cycle()
        await keeper.idle()
    assert feed.pushes == []
    assert keeper.status.unpushable["BTC"].startswith("the feed's observation of it is 220 s ahead")
    [said] = events(capsys.readouterr().out, "Price not pushable")  # once, not every poll
    assert said["asset"] == "BTC" and said["onChainObservedAt"] == NOW + 240


async def test_the_pending_push_gauge_moves_while_the_push_waits_without_health_being_asked(tmp_path: Path) -> None:
    feed, cmc = FakeFeed(), FakeSource("cmc")
    keeper, clock = await keeper_for(tmp_path, feed, cmc)
    feed.gate.clear()  # the transaction is not mined
    quote(cmc, BTC, clock.now)
    await keeper.cycle()

    def scraped() -> float:
        text = keeper._metrics.render().decode()
        return float(re.search(r"^price_service_push_pending_seconds (\S+)$", text, re.M).group(1))  # type: ignore[union-attr]

    first = scraped()
    await asyncio.sleep(0.3)
    assert scraped() >= first + 0.25 > 0.25
    feed.gate.set()
    await keeper.idle()
    assert scraped() == 0
