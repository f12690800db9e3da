"""One check: only the positions holding a changed asset, at fresh oracle prices, minus what must wait."""

from __future__ import annotations

import asyncio
from typing import Any

from devnet.static_prices import StaticPrices
from services.liquidation_engine.check_requests import CheckRequests, Pending
from services.liquidation_engine.checker import Checker, CheckParts
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.oracle_prices import OraclePrices
from services.liquidation_engine.outcomes import Outcomes
from services.liquidation_engine.planning.evaluate import Finding
from services.liquidation_engine.planning.holds import Cooldowns, InFlight, Rereads
from services.liquidation_engine.position_copy import PositionCopy
from shared.feeds.onchain_price import OnChainPrice
from shared.positions import Position
from shared.protocols import reference
from shared.pxe.client import Notes
from tests.services.liquidation_engine.fakes import E18, EPOCH, NOW, P8, FakePxe, escrow, gateways, position


class RecordingSender:
    liquidator = None  # balances are not read ahead for it

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    async def send(self, findings: list[Finding], accepted_at: float | None, balances: Any = None) -> list[Any]:
        self.batches.append([f.position.escrow for f in findings])
        return []


class NullFollower:
    def follow_all(self, sent: list[Any]) -> None:
        assert sent == []


def eth_position(n: int) -> Position:
    p = position(n)
    return Position(p.escrow, p.pool, "ETH", p.collateral_token, 20 * E18, "USDC", p.debt_token, 40_000 * E18, EPOCH,
                    8000, 0, 5, 1)


def checker_with(prices: dict[str, int], *, dry_run: bool = False, updated_at: int = NOW - 60,
                 pxe: FakePxe | None = None) -> tuple[Checker, CheckParts, RecordingSender, list[int]]:
    wakes: list[int] = []
    rereads = Rereads()
    copy = PositionCopy(None, gateways(pxe or FakePxe()).read, rereads)  # type: ignore[arg-type]
    copy.version = 0  # loaded (the monitor is not part of this test)
    copy.refresh = _no_refresh  # type: ignore[method-assign]
    oracle = OraclePrices(StaticPrices({s: OnChainPrice(p, updated_at) for s, p in prices.items()}), 3600, lambda: NOW)
    sender = RecordingSender()
    in_flight, cooldowns, metrics = InFlight(), Cooldowns(30, 900), EngineMetrics()
    outcomes = Outcomes(None, in_flight, cooldowns, rereads, metrics)  # type: ignore[arg-type]
    parts = CheckParts(copy, oracle, sender, NullFollower(), in_flight, cooldowns, rereads,  # type: ignore[arg-type]
                       CheckRequests(wake=lambda: wakes.append(1)), metrics, outcomes)
    return Checker(parts, reference, dry_run=dry_run, clock=lambda: NOW), parts, sender, wakes


async def _no_refresh() -> int:
    return 0


async def test_a_notification_evaluates_only_the_pairs_holding_that_asset() -> None:
    checker, parts, sender, _ = checker_with({"BTC": 55_000 * P8, "ETH": 3_000 * P8, "USDC": P8})
    for n in range(1, 4):
        parts.positions.put(position(n))  # BTC/USDC, health 0.956 at 55 000
    parts.positions.put(eth_position(9))  # ETH/USDC, healthy
    report = await checker.run(Pending(assets={"ETH"}, accepted_at=1.0), sweep=False)
    # The ETH pair's one position is far from liquidation: the index does not even offer it.
    assert report.checked == 0 and report.trigger == "notification" and sender.batches == []
    report = await checker.run(Pending(assets={"BTC"}, accepted_at=1.0), sweep=False)
    assert report.checked == 3 and sender.batches == [[escrow(1), escrow(2), escrow(3)]]


async def test_a_sweep_looks_at_everything() -> None:
    checker, parts, _, _ = checker_with({"BTC": 60_000 * P8, "ETH": 3_000 * P8, "USDC": P8})
    parts.positions.put(position(1))
    parts.positions.put(eth_position(2))
    report = await checker.run(Pending(assets={"ETH"}), sweep=True)
    assert report.trigger == "sweep" and report.checked == 2 and not report.liquidatable


async def test_a_stale_price_liquidates_nothing_and_is_counted() -> None:
    checker, parts, sender, _ = checker_with({"BTC": 55_000 * P8, "USDC": P8}, updated_at=NOW - 7200)
    parts.positions.put(position(1))
    report = await checker.run(Pending(assets={"BTC"}), sweep=False)
    assert report.stale == ["BTC", "USDC"] and report.checked == 0 and sender.batches == []
    sample = parts.metrics.registry.get_sample_value("liquidation_engine_stale_prices_total", {"asset": "BTC"})
    assert sample == 1


async def test_dry_run_decides_and_sends_nothing() -> None:
    checker, parts, sender, _ = checker_with({"BTC": 55_000 * P8, "USDC": P8}, dry_run=True)
    parts.positions.put(position(1))
    report = await checker.run(Pending(assets={"BTC"}), sweep=False)
    assert [f.position.escrow for f in report.eligible] == [escrow(1)] and sender.batches == []
    assert parts.metrics.registry.get_sample_value("liquidation_engine_liquidations_total", {"outcome": "dry_run"}) == 1


async def test_escrows_in_flight_cooling_down_or_awaiting_a_reread_wait() -> None:
    pxe = FakePxe(notes={escrow(3): Notes(2 * E18, 46_000 * E18, 0)}, block=9)
    checker, parts, sender, wakes = checker_with({"BTC": 55_000 * P8, "USDC": P8}, pxe=pxe)
    for n in range(1, 5):
        parts.positions.put(position(n))
    parts.in_flight.lock(escrow(1))
    parts.cooldowns.failed(escrow(2))
    parts.rereads.require(escrow(3), 1)
    report = await checker.run(Pending(assets={"BTC"}), sweep=False)
    assert sender.batches == [[escrow(4)]] and len(report.liquidatable) == 4
    assert parts.positions.get(escrow(3)).collateral_amount == 2 * E18  # type: ignore[union-attr]
    assert parts.requests.take().escrows == {escrow(3)} and wakes  # what was just read is looked at next


async def test_a_settled_escrow_alone_is_rechecked() -> None:
    checker, parts, _, _ = checker_with({"BTC": 60_000 * P8, "ETH": 3_000 * P8, "USDC": P8})
    for n in range(1, 6):
        parts.positions.put(position(n))
    parts.positions.put(eth_position(9))
    report = await checker.run(Pending(escrows={escrow(9)}), sweep=False)
    assert report.trigger == "recheck" and report.checked == 1


async def test_unreadable_prices_end_the_check_with_the_reason() -> None:
    checker, parts, sender, _ = checker_with({})

    async def broken(_symbols: list[str]) -> dict[str, OnChainPrice]:
        from shared.feeds.onchain_price import PricesUnavailable
        raise PricesUnavailable("chain unreachable at http://127.0.0.1:1: ConnectError")

    parts.prices.reader.read = broken  # type: ignore[method-assign]
    parts.positions.put(position(1))
    report = await checker.run(Pending(assets={"BTC"}), sweep=False)
    assert report.error and "chain unreachable" in report.error and sender.batches == []


async def test_a_notification_sends_before_it_refreshes_the_copy_and_then_checks_what_the_refresh_brought() -> None:
    checker, parts, sender, _ = checker_with({"BTC": 55_000 * P8, "USDC": P8})
    copy = parts.positions
    copy.put(position(1))
    gate = asyncio.Event()
    sent_before_refresh: list[list[list[str]]] = []

    async def slow_refresh() -> int:  # the monitor answers only after the first send went out
        await gate.wait()
        sent_before_refresh.append(list(sender.batches))
        copy.put(position(2))  # synced meanwhile: liquidatable too
        copy.last_changed = {escrow(2)}
        return 1

    copy.refresh = slow_refresh  # type: ignore[method-assign]
    original_send = sender.send

    async def send_then_open(findings: list[Finding], accepted_at: float | None, balances: Any = None) -> list[Any]:
        result = await original_send(findings, accepted_at, balances)
        gate.set()
        return result

    sender.send = send_then_open  # type: ignore[method-assign]
    # Refreshing first would wait for the gate forever: the first send would never go out.
    report = await asyncio.wait_for(checker.run(Pending(assets={"BTC"}, accepted_at=1.0), sweep=False), 10)
    assert sent_before_refresh == [[[escrow(1)]]]
    assert sender.batches == [[escrow(1)], [escrow(2)]]
    assert report.sent == 0 and [f.position.escrow for f in report.liquidatable] == [escrow(1), escrow(2)]
    assert checker.last_report is report


async def test_a_sweep_builds_the_index_so_a_notification_never_pays_for_it() -> None:
    checker, parts, sender, _ = checker_with({"BTC": 60_000 * P8, "USDC": P8})
    for n in range(1, 4):
        parts.positions.put(position(n))
    index = parts.positions.index
    await checker.run(Pending(), sweep=True)  # healthy at 60 000: nothing sent
    assert index.rebuilds == 1 and sender.batches == []
    parts.prices.reader.table["BTC"] = OnChainPrice(55_000 * P8, NOW - 60)  # type: ignore[attr-defined]
    report = await checker.run(Pending(assets={"BTC"}, accepted_at=1.0), sweep=False)
    assert index.rebuilds == 1 and report.checked == 3 and sender.batches == [[escrow(1), escrow(2), escrow(3)]]
