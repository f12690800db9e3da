"""The seeded mock price walk: reproducible, always a positive integer price, crashes when asked."""

from __future__ import annotations

import pytest

from services.price_service.sources.mock import MockPriceSource, base_price

SYMBOLS = ["BTC", "ETH", "USDC", "SOL", "NEWCOIN"]
STABLES = ["USDC", "USDT", "DAI"]


async def walk(source: MockPriceSource, steps: int, symbols: list[str] = SYMBOLS) -> list[dict[str, int]]:
    return [{s: q.price for s, q in (await source.fetch(symbols)).items()} for _ in range(steps)]


async def test_same_seed_gives_the_same_sequence() -> None:
    assert await walk(MockPriceSource(seed=7), 50) == await walk(MockPriceSource(seed=7), 50)


async def test_different_seeds_give_different_sequences() -> None:
    assert await walk(MockPriceSource(seed=1), 20) != await walk(MockPriceSource(seed=2), 20)


async def test_prices_are_positive_integers_under_heavy_volatility_and_crashes() -> None:
    source = MockPriceSource(seed=3, volatility_bps=2000, crash_probability=0.3, crash_bps=9000)
    for prices in await walk(source, 300):
        assert set(prices) == set(SYMBOLS)
        for price in prices.values():
            assert type(price) is int and price > 0


async def test_quotes_carry_symbol_source_and_clock_time() -> None:
    quotes = await MockPriceSource(clock=lambda: 1_700_000_123.9).fetch(["btc", "ETH"])

    assert set(quotes) == {"BTC", "ETH"}
    assert quotes["BTC"].source == "mock"
    assert quotes["BTC"].timestamp == 1_700_000_123
    assert quotes["BTC"].price == base_price("BTC") == 97_000 * 10**8


async def test_unknown_symbols_get_a_stable_derived_base() -> None:
    first = await MockPriceSource(seed=1).fetch(["NEWCOIN"])
    second = await MockPriceSource(seed=99).fetch(["NEWCOIN"])

    assert first["NEWCOIN"].price == second["NEWCOIN"].price > 0


async def test_certain_crash_drops_each_step_by_exactly_crash_bps() -> None:
    source = MockPriceSource(seed=5, crash_probability=1.0, crash_bps=2500)
    prices = await walk(source, 4, ["ETH", "USDC"])

    for before, after in zip(prices, prices[1:]):
        assert after["ETH"] == before["ETH"] * 7500 // 10_000
    assert all(abs(p["USDC"] - 10**8) <= 10**6 for p in prices)  # stablecoins never crash


async def test_forced_crash_applies_to_the_next_fetch_only() -> None:
    source = MockPriceSource(seed=11)
    before = (await source.fetch(["BTC"]))["BTC"].price

    source.force_crash("btc", 4000)
    crashed = (await source.fetch(["BTC"]))["BTC"].price
    after = (await source.fetch(["BTC"]))["BTC"].price

    assert crashed == before * 6000 // 10_000
    assert abs(after - crashed) * 10_000 <= crashed * 200  # back to an ordinary step


async def test_stablecoins_stay_within_one_percent_of_a_dollar() -> None:
    source = MockPriceSource(seed=13, volatility_bps=500, crash_probability=0.5)
    for prices in await walk(source, 500, STABLES):
        for symbol in STABLES:
            assert 99_000_000 <= prices[symbol] <= 101_000_000, (symbol, prices[symbol])


async def test_a_crashed_asset_recovers_towards_its_base_instead_of_drifting_away() -> None:
    source = MockPriceSource(seed=17, volatility_bps=30)
    await source.fetch(["ETH"])
    source.force_crash("ETH", 5000)
    crashed = (await source.fetch(["ETH"]))["ETH"].price

    later = (await walk(source, 400, ["ETH"]))[-1]["ETH"]

    assert later > crashed * 3 // 2


@pytest.mark.parametrize("bps", [0, -1, 10_000])
def test_force_crash_rejects_impossible_drops(bps: int) -> None:
    with pytest.raises(ValueError):
        MockPriceSource().force_crash("BTC", bps)
