"""One check: refresh the position copy (one incremental request), read the oracle prices of the
affected asset pairs, evaluate only the positions holding a changed asset, and hand the
liquidatable ones, most at risk first, to the sender; then follow what went out.

An escrow in flight, cooling down or waiting to be re-read is left out, so there are never two
attempts on one escrow at once. The schedule (sweeps) and the triggers (notifications, settled
escrows) are the service's Periodic loop and CheckRequests; this module only runs a check.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from services.liquidation_engine.check_requests import CheckRequests, Pending
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.monitor_client import MonitorUnavailable
from services.liquidation_engine.oracle_prices import OraclePrices, PricesUnavailable
from services.liquidation_engine.outcomes import Outcomes
from services.liquidation_engine.planning.evaluate import Finding, InterestOffsets, in_priority_order, scan
from services.liquidation_engine.planning.holds import Cooldowns, InFlight, Rereads, sort_out
from services.liquidation_engine.position_copy import Pair, PositionCopy
from services.liquidation_engine.prefetch import Prefetch
from services.liquidation_engine.receipts import ReceiptFollower
from services.liquidation_engine.sending import LiquidationSender
from shared.logging import get_logger
from shared.memory import gc_paused
from shared.positions import Position
from shared.protocols import LendingRules, format_health_factor

log = get_logger()

MAX_REREADS_PER_CHECK = 64


@dataclass
class CheckReport:
    trigger: str
    assets: list[str]
    checked: int = 0
    liquidatable: list[Finding] = field(default_factory=list)
    eligible: list[Finding] = field(default_factory=list)
    sent: int = 0
    stale: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class CheckParts:
    positions: PositionCopy
    prices: OraclePrices
    sender: LiquidationSender
    follower: ReceiptFollower
    in_flight: InFlight
    cooldowns: Cooldowns
    rereads: Rereads
    requests: CheckRequests
    metrics: EngineMetrics
    outcomes: Outcomes


class Checker:
    def __init__(self, parts: CheckParts, rules: LendingRules, *, dry_run: bool, log_healthy: bool = False,
                 clock: Callable[[], float] = time.time) -> None:
        self.parts = parts
        self.rules = rules
        self.dry_run = dry_run
        self.log_healthy = log_healthy
        self._clock = clock
        self.offsets = InterestOffsets(rules)
        self.last_check_at: int | None = None
        self.last_report: CheckReport | None = None
        self.monitor_ok: bool | None = None
        self.prices_error: str | None = None  # why the last check could not read the oracle, if it could not

    async def run(self, pending: Pending, sweep: bool) -> CheckReport:
        """A check of what `pending` asks for; everything on a sweep or when it asks for everything."""
        trigger = "sweep" if sweep else "notification" if pending.accepted_at is not None else "recheck"
        assets = None if sweep or pending.everything else pending.assets
        # A cyclic garbage collection in the middle of a burst costs tens of milliseconds with 100 000
        # positions alive; reference counting still frees almost everything, so collect after the sends.
        with gc_paused():
            return await self.check(assets, pending.accepted_at, trigger, pending.escrows)

    async def check(self, assets: set[str] | None, accepted_at: float | None = None, trigger: str = "manual",
                    escrows: set[str] | None = None) -> CheckReport:
        started = time.monotonic()
        parts = self.parts
        ahead = Prefetch(parts.positions, parts.prices, parts.sender, assets, balances=not self.dry_run)
        after = self._refresh_after(assets, accepted_at)
        try:
            report = await self._check(assets, accepted_at, trigger, escrows or set(), ahead, started, not after)
        finally:
            ahead.cancel()
        return await self._check_what_changed(report) if after else report

    def _refresh_after(self, assets: set[str] | None, accepted_at: float | None) -> bool:
        """On a price notification the copy is brought up to date after the decision, not before it: the
        monitor's round trip (and its answer's parsing) never delays or competes with the first sends.
        Whatever the refresh brings is checked straight after, in the same check (`_check_what_changed`);
        the monitor's own view is up to one sync old either way."""
        parts = self.parts
        return accepted_at is not None and assets is not None and parts.positions.loaded and not parts.outcomes.unknown

    async def _check_what_changed(self, report: CheckReport) -> CheckReport:
        await self._refresh_positions()
        changed = self.parts.positions.last_changed
        if changed:
            parts = self.parts
            ahead = Prefetch(parts.positions, parts.prices, parts.sender, None, balances=False)
            again = await self._check(set(), None, "recheck", set(changed), ahead, time.monotonic(), False)
            report.checked += again.checked
            report.liquidatable += again.liquidatable
            report.eligible += again.eligible
            report.sent += again.sent
            self.last_report = report
        return report

    async def _check(self, assets: set[str] | None, accepted_at: float | None, trigger: str, escrows: set[str],
                     ahead: Prefetch, started: float, refresh_first: bool) -> CheckReport:
        parts = self.parts
        if refresh_first:
            await self._refresh_positions()
            await self._resolve_unknown()
        work = self._work(assets, escrows)
        needed = {asset for pair, _ in work for asset in pair}
        report = CheckReport(trigger, sorted(assets if assets else needed))
        parts.metrics.checks.labels(trigger).inc()
        try:
            snapshot = await ahead.prices(needed, parts.prices)
        except PricesUnavailable as exc:
            report.error = self.prices_error = str(exc)
            parts.metrics.oracle_up.set(0)
            parts.metrics.oracle_failures.inc()
            log.warning("Prices unavailable", assets=report.assets, error=str(exc))
            return self._finish(report, started)
        if needed:
            self.prices_error = None
            parts.metrics.oracle_up.set(1)
        report.stale = sorted(snapshot.stale)
        for asset in snapshot.stale:
            parts.metrics.stale_prices.labels(asset).inc()
        self._evaluate(work, snapshot.usable, report)
        if not report.liquidatable:
            log.info("No liquidatable positions found", assets=report.assets, checked=report.checked)
            if assets is None:
                self._warm_index(snapshot.usable)
            return self._finish(report, started)
        ordered = in_priority_order(report.liquidatable)
        report.eligible = await self._eligible(ordered)
        if self.dry_run:
            self._dry_run(report.eligible)
        elif report.eligible:
            # Each transaction's receipt is followed from the moment it is sent (the sender's on_sent).
            sent = await parts.sender.send(report.eligible, accepted_at, balances=await ahead.balances())
            report.sent = sum(len(s.attempts) for s in sent)
        for finding in ordered:  # logged once the sends are out: a hundred lines cost milliseconds
            log.info("Position checked", escrow=finding.position.escrow, healthFactor=finding.health_factor_text,
                     liquidatable=True)
        if assets is None:
            self._warm_index(snapshot.usable)
        return self._finish(report, started)

    def _warm_index(self, usable: dict[str, int]) -> None:
        """On a sweep, once its sends are out: (re)build what the liquidation-price index lacks, so a
        notification never pays for it (a second or more per million positions)."""
        copy, now = self.parts.positions, int(self._clock())
        for pair in copy.pairs():
            if pair[1] in usable:
                copy.index.warm(pair, copy.positions(pair), usable[pair[1]], now)

    def _evaluate(self, work: list[tuple[Pair, Iterable[Position] | None]], usable: dict[str, int],
                  report: CheckReport) -> None:
        now = int(self._clock())
        copy = self.parts.positions
        for pair, positions in work:
            collateral_price, debt_price = usable.get(pair[0]), usable.get(pair[1])
            if collateral_price is None or debt_price is None:
                continue  # a stale or missing price: no liquidation uses it
            if positions is None:  # a price moved: only the positions the index says may have crossed
                positions = copy.candidates(pair, collateral_price, debt_price, now)
            on_healthy = healthy_logger(self.rules, collateral_price, debt_price) if self.log_healthy else None
            found, checked = scan(positions, collateral_price, debt_price, now, self.offsets, on_healthy)
            report.checked += checked
            report.liquidatable.extend(found)
        self.parts.metrics.positions_checked.inc(report.checked)

    def _work(self, assets: set[str] | None, escrows: set[str]) -> list[tuple[Pair, Iterable[Position] | None]]:
        """Per pair what to evaluate: None for a price notification (the index's candidates), every
        position on a sweep (assets None), single positions for rechecks."""
        copy = self.parts.positions
        pairs = copy.pairs(assets)
        singles: dict[Pair, list[Position]] = {}
        for escrow in escrows:
            position = copy.get(escrow)
            if position is not None and position.pair not in pairs:
                singles.setdefault(position.pair, []).append(position)
        chosen: list[tuple[Pair, Iterable[Position] | None]] = [
            (pair, None if assets is not None else copy.positions(pair)) for pair in pairs]
        return chosen + list(singles.items())

    def _dry_run(self, eligible: list[Finding]) -> None:
        for finding in eligible:
            outcome = finding.repay()
            self.parts.metrics.liquidations.labels("dry_run").inc()
            log.info("Liquidation dry run", escrow=finding.position.escrow, healthFactor=finding.health_factor_text,
                     repayAmount=str(outcome.repay), collateralSeized=str(outcome.seized))

    def _finish(self, report: CheckReport, started: float) -> CheckReport:
        self.last_check_at = int(self._clock())
        self.last_report = report
        self.parts.metrics.check_duration.observe(time.monotonic() - started)
        return report

    async def _refresh_positions(self) -> None:
        copy = self.parts.positions
        try:
            await copy.refresh()
        except MonitorUnavailable as exc:
            if self.monitor_ok is not False:
                log.warning("Note monitor unreachable", error=str(exc), positions=len(copy))
            self.monitor_ok = False
            return
        if self.monitor_ok is False:
            log.info("Note monitor reachable", positions=len(copy))
        self.monitor_ok = True

    async def _resolve_unknown(self) -> None:
        """Attempts whose outcome is unknown: read their escrows again, then settle them from what changed."""
        parts = self.parts
        waiting = list(parts.outcomes.unknown)[:MAX_REREADS_PER_CHECK]
        for escrow in waiting:
            current = parts.positions.get(escrow)
            if current is not None and parts.rereads.pending(escrow, current.version):
                await parts.positions.reread(current)
            await parts.outcomes.resolve_unknown(escrow, parts.positions.get(escrow))

    async def _eligible(self, ordered: list[Finding]) -> list[Finding]:
        parts = self.parts
        eligible, to_reread = sort_out(ordered, parts.in_flight, parts.cooldowns, parts.rereads)
        if to_reread:
            batch = [f.position for f in to_reread[:MAX_REREADS_PER_CHECK]]
            done = await asyncio.gather(*(parts.positions.reread(p) for p in batch))
            for position, was_read in zip(batch, done, strict=True):
                if was_read:
                    parts.requests.recheck(position.escrow)  # evaluate what we just read next time
        return eligible


def healthy_logger(rules: LendingRules, collateral_price: int, debt_price: int) -> Callable[[Position, int], None]:
    # Only used at debug level: a Decimal health factor per position is costly for 100 000 of them.
    def log_healthy(position: Position, debt: int) -> None:
        hf = rules.health_factor(position.collateral_amount, collateral_price, position.liquidation_threshold_bps,
                                 debt, debt_price)
        log.debug("Position checked", escrow=position.escrow, healthFactor=format_health_factor(hf),
                  liquidatable=False)

    return log_healthy
