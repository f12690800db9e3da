"""The check loop: price notifications coalesced into the next check, a sweep every SWEEP_INTERVAL.

A check refreshes the position copy (one incremental request), reads the oracle prices of the
affected asset pairs, evaluates only the positions holding a changed asset, and hands the
liquidatable ones, most at risk first, to the executor. An escrow that is in flight, cooling
down after a failure, or waiting to be re-read is left out, so there are never two attempts on
one escrow at once.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from services.liquidation_engine.attempts import Cooldowns, Rereads
from services.liquidation_engine.evaluate import Finding, InterestOffsets, TrackedPosition, in_priority_order, scan
from services.liquidation_engine.executor import Executor
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.mirror import MonitorUnavailable, Pair, PositionMirror
from services.liquidation_engine.oracle_prices import OraclePrices, PricesUnavailable
from shared import money
from shared.logging import get_logger

log = get_logger()

MAX_PENDING_ASSETS = 1000  # beyond this many distinct assets waiting, the next check is a full sweep
MAX_REREADS_PER_CHECK = 64
MAX_PENDING_ESCROWS = 10_000  # settled escrows waiting for a recheck; beyond this, a full check


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


class Checker:
    def __init__(self, mirror: PositionMirror, prices: OraclePrices, executor: Executor, cooldowns: Cooldowns,
                 rereads: Rereads, metrics: EngineMetrics, *, sweep_interval: float, dry_run: bool,
                 log_healthy: bool = False, clock: Callable[[], float] = time.time) -> None:
        self.mirror = mirror
        self.prices = prices
        self.executor = executor
        self.cooldowns = cooldowns
        self.rereads = rereads
        self.metrics = metrics
        self.sweep_interval = sweep_interval
        self.dry_run = dry_run
        self.log_healthy = log_healthy
        self._clock = clock
        self.offsets = InterestOffsets()
        self.last_check_at: int | None = None
        self.last_report: CheckReport | None = None
        self.checks_done = 0
        self._pending: set[str] = set()
        self._pending_overflow = False
        self._pending_escrows: set[str] = set()
        self._accepted_at: float | None = None
        self._wake = asyncio.Event()
        self._done = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._monitor_ok: bool | None = None
        executor.on_settled = self.recheck

    # --- triggers ----------------------------------------------------------------------------

    def notify(self, assets: list[str], accepted_at: float | None = None) -> None:
        """A price notification: coalesced into the next check, never queued."""
        if len(self._pending) + len(assets) > MAX_PENDING_ASSETS:
            self._pending_overflow = True
        else:
            self._pending.update(assets)
        accepted = accepted_at if accepted_at is not None else time.monotonic()
        if self._accepted_at is None:
            self._accepted_at = accepted
        self._wake.set()

    def poke(self) -> None:
        """Look at everything again soon, without a latency sample."""
        self._pending_overflow = True
        self._wake.set()

    def recheck(self, escrow: str) -> None:
        """An attempt on this escrow settled: look at it again soon. Only it: a settled burst of a
        hundred liquidations must not become a hundred scans of every position."""
        if len(self._pending_escrows) >= MAX_PENDING_ESCROWS:
            self._pending_overflow = True
        else:
            self._pending_escrows.add(escrow)
        self._wake.set()

    # --- loop ----------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="liquidation-check")

    async def stop(self, grace: float = 5.0) -> None:
        """Let a running check finish (within `grace`) rather than cutting a request in half."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except (TimeoutError, asyncio.CancelledError, Exception):
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass

    async def _loop(self) -> None:
        next_sweep = time.monotonic()
        while True:
            timeout = max(0.0, next_sweep - time.monotonic())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            except TimeoutError:
                pass
            self._wake.clear()
            if self._stopping:
                return
            sweep = time.monotonic() >= next_sweep
            if sweep:
                next_sweep = time.monotonic() + self.sweep_interval
            assets, overflow, accepted_at = self._pending, self._pending_overflow, self._accepted_at
            escrows = self._pending_escrows
            self._pending, self._pending_overflow, self._accepted_at, self._pending_escrows = set(), False, None, set()
            trigger = "sweep" if sweep else "notification" if accepted_at is not None else "recheck"
            try:
                await self.check(None if sweep or overflow else assets, accepted_at, trigger, escrows)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one failed check must never end the loop
                log.error("Check failed", error=repr(exc))
            finally:
                async with self._done:
                    self.checks_done += 1
                    self._done.notify_all()

    async def wait_for_check(self, after: int, timeout: float = 30.0) -> CheckReport | None:
        """Wait until more than `after` checks have finished (tests and benchmarks)."""
        async with self._done:
            await asyncio.wait_for(self._done.wait_for(lambda: self.checks_done > after), timeout)
        return self.last_report

    # --- one check -------------------------------------------------------------------------------

    async def check(self, assets: set[str] | None, accepted_at: float | None = None, trigger: str = "manual",
                    escrows: set[str] | None = None) -> CheckReport:
        # A cyclic garbage collection in the middle of a burst costs tens of milliseconds with 100 000
        # positions alive; reference counting still frees almost everything, so collect after the sends.
        with gc_paused():
            return await self._check(assets, accepted_at, trigger, escrows or set())

    async def _check(self, assets: set[str] | None, accepted_at: float | None, trigger: str,
                     escrows: set[str]) -> CheckReport:
        started = time.monotonic()
        await self._refresh_positions()
        work = self._work(assets, escrows)
        needed = {asset for pair, _ in work for asset in pair}
        report = CheckReport(trigger, sorted(assets if assets else needed))
        self.metrics.checks.labels(trigger).inc()
        try:
            snapshot = await self.prices.snapshot(needed)
        except PricesUnavailable as exc:
            report.error = str(exc)
            log.warning("Prices unavailable", assets=report.assets, error=str(exc))
            return self._finish(report, started)
        report.stale = sorted(snapshot.stale)
        for asset in snapshot.stale:
            self.metrics.stale_prices.labels(asset).inc()
        now = int(self._clock())
        for (collateral_asset, debt_asset), positions in work:
            collateral_price, debt_price = snapshot.usable.get(collateral_asset), snapshot.usable.get(debt_asset)
            if collateral_price is None or debt_price is None:
                continue  # a stale or missing price: no liquidation uses it
            on_healthy = healthy_logger(collateral_price, debt_price) if self.log_healthy else None
            found, checked = scan(positions, collateral_price, debt_price, now, self.offsets, on_healthy)
            report.checked += checked
            report.liquidatable.extend(found)
        self.metrics.positions_checked.inc(report.checked)
        if not report.liquidatable:
            log.info("No liquidatable positions found", assets=report.assets, checked=report.checked)
            return self._finish(report, started)
        ordered = in_priority_order(report.liquidatable)
        for finding in ordered:
            log.info("Position checked", escrow=finding.position.escrow, healthFactor=finding.health_factor_text,
                     liquidatable=True)
        report.eligible = await self._eligible(ordered)
        if self.dry_run:
            for finding in report.eligible:
                outcome = finding.repay()
                self.metrics.liquidations.labels("dry_run").inc()
                log.info("Liquidation dry run", escrow=finding.position.escrow, healthFactor=finding.health_factor_text,
                         repayAmount=str(outcome.repay), collateralSeized=str(outcome.seized))
        elif report.eligible:
            report.sent = await self.executor.liquidate(report.eligible, accepted_at)
        return self._finish(report, started)

    def _work(self, assets: set[str] | None, escrows: set[str]) -> list[tuple[Pair, Iterable[TrackedPosition]]]:
        """Whole asset pairs for changed prices (all pairs when None), single positions for rechecks."""
        pairs = self.mirror.pairs(assets)
        singles: dict[Pair, list[TrackedPosition]] = {}
        for escrow in escrows:
            position = self.mirror.get(escrow)
            if position is not None and (position.collateral_asset, position.debt_asset) not in pairs:
                singles.setdefault((position.collateral_asset, position.debt_asset), []).append(position)
        return [(pair, self.mirror.positions(pair)) for pair in pairs] + list(singles.items())

    def _finish(self, report: CheckReport, started: float) -> CheckReport:
        self.last_check_at = int(self._clock())
        self.last_report = report
        self.metrics.check_duration.observe(time.monotonic() - started)
        return report

    async def _refresh_positions(self) -> None:
        try:
            await self.mirror.refresh()
        except MonitorUnavailable as exc:
            if self._monitor_ok is not False:
                log.warning("Note monitor unreachable", error=str(exc), positions=len(self.mirror))
            self._monitor_ok = False
            return
        if self._monitor_ok is False:
            log.info("Note monitor reachable", positions=len(self.mirror))
        self._monitor_ok = True

    async def _eligible(self, ordered: list[Finding]) -> list[Finding]:
        eligible: list[Finding] = []
        to_reread: list[TrackedPosition] = []
        for finding in ordered:
            escrow = finding.position.escrow
            if self.executor.busy(escrow) or self.cooldowns.blocked(escrow):
                continue
            if self.rereads.pending(escrow, finding.position.version):
                to_reread.append(finding.position)
                continue
            eligible.append(finding)
        if to_reread:
            batch = to_reread[:MAX_REREADS_PER_CHECK]
            done = await asyncio.gather(*(self.executor.reread(p) for p in batch))
            for position, was_read in zip(batch, done, strict=True):
                if was_read:
                    self.recheck(position.escrow)  # evaluate what we just read in the next check
        return eligible


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def healthy_logger(collateral_price: int, debt_price: int) -> Callable[[TrackedPosition, int], None]:
    # Only used at debug level: a Decimal health factor per position is costly for 100 000 of them.
    def log_healthy(position: TrackedPosition, debt: int) -> None:
        hf = money.health_factor(position.collateral_amount, collateral_price, position.threshold_bps, debt, debt_price)
        log.debug("Position checked", escrow=position.escrow, healthFactor=money.format_health_factor(hf),
                  liquidatable=False)

    return log_healthy
