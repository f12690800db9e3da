"""How an attempt ends, in one place for the sender and the receipt follower: the row's final status,
the metric, the escrow's cooldown or re-read, the log line, and the escrow unlocked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.liquidation_engine.attempts import AttemptStore
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.planning.budget import SWAPPED_PRICE_CHECK, Plan, Skipped
from services.liquidation_engine.planning.holds import Cooldowns, InFlight, Rereads
from shared.logging import get_logger
from shared.positions import Position

log = get_logger()

UNKNOWN_VERSION = 2**62  # "only our own PXE read will do": no monitor version satisfies it


@dataclass(frozen=True)
class UnresolvedAttempt:
    """An attempt that may or may not have been executed: resolved once the escrow is read again."""

    attempt_id: int
    plan: Plan
    collateral_before: int


class Outcomes:
    def __init__(self, store: AttemptStore, in_flight: InFlight, cooldowns: Cooldowns, rereads: Rereads,
                 metrics: EngineMetrics, *, price_mismatch: frozenset[str] = frozenset(),
                 retry_now: Callable[[str], None] = lambda escrow: None) -> None:
        self.price_mismatch = price_mismatch  # the protocol's revert reasons for a price that moved
        self.retry_now = retry_now
        self.store = store
        self.in_flight = in_flight
        self.cooldowns = cooldowns
        self.rereads = rereads
        self.metrics = metrics
        self.unknown: dict[str, UnresolvedAttempt] = {}

    async def skipped(self, skipped: list[Skipped]) -> None:
        """Recorded as `skipped`, each escrow cooling down: nothing was sent."""
        if not skipped:
            return
        try:
            await self.store.add([s.plan for s in skipped], status="skipped", errors=[s.reason for s in skipped],
                                 cool_for=[self.cooldowns.next_delay(s.plan.escrow) for s in skipped])
        finally:
            for item in skipped:
                self.in_flight.unlock(item.plan.escrow)
                delay = self.cooldowns.failed(item.plan.escrow)
                self.metrics.liquidations.labels("skipped").inc()
                if item.reason == SWAPPED_PRICE_CHECK:
                    self.metrics.swapped_price_skips.inc()
                log.warning("Liquidation skipped", escrow=item.plan.escrow, reason=item.reason,
                            healthFactor=item.plan.health_factor, retryInSeconds=delay)

    async def failed(self, attempt_id: int, plan: Plan, error: str, *, reread_after: int | None = None,
                     tx_hash: str | None = None, cooldown: bool = True) -> None:
        """A failed attempt; with `reread_after` (the version we knew) the escrow waits for a fresh read."""
        # The oracle moved against us since the prices were read: try again at once with fresh ones
        # (a few times in a row at most), rather than leaving the position underwater for a cooldown.
        quick = error in self.price_mismatch and self.cooldowns.quick_retry(plan.escrow)
        cools = cooldown and not quick
        try:
            await self.store.finish(attempt_id, "failed", error,
                                    cool_for=self.cooldowns.next_delay(plan.escrow) if cools else None)
        finally:
            self.metrics.liquidations.labels("failed").inc()
            delay = self.cooldowns.failed(plan.escrow) if cools else None
            if quick:
                self.retry_now(plan.escrow)
            if reread_after is not None:
                self.rereads.require(plan.escrow, reread_after)
            extra: dict[str, object] = {"txHash": tx_hash} if tx_hash else {}
            if delay is not None:
                extra["retryInSeconds"] = delay
            log.error("Liquidation failed", escrow=plan.escrow, error=error, healthFactor=plan.health_factor, **extra)

    async def succeeded(self, attempt_id: int, plan: Plan, tx_hash: str, known_version: int,
                        mined_block: int | None = None) -> None:
        """A mined liquidation: the escrow must be read again before it is considered (by every engine:
        the database refuses its claims until their view of it is as new as `mined_block`)."""
        await self.store.finish(attempt_id, "succeeded", mined_block=mined_block)
        self.metrics.liquidations.labels("succeeded").inc()
        self.cooldowns.succeeded(plan.escrow)
        log.info("Liquidation executed successfully", escrow=plan.escrow, txHash=tx_hash,
                 healthFactor=plan.health_factor, repayAmount=str(plan.repay), collateralSeized=str(plan.seized))
        self.rereads.require(plan.escrow, known_version)

    def release(self, plan: Plan, debt_token: str | None, reserved: bool) -> None:
        """The escrow may be chosen again; what its transaction would take is free again."""
        if debt_token is not None and reserved:
            self.in_flight.release(debt_token, plan.repay)
        self.in_flight.unlock(plan.escrow)

    async def resolve_unknown(self, escrow: str, current: Position | None) -> bool:
        """Settle an unknown attempt (left by a release that sent without recording first) from the escrow's
        fresh position: executed iff its collateral went down by exactly what the attempt would seize. False
        while no fresh read has come in."""
        entry = self.unknown.get(escrow)
        if entry is None or (current is not None and self.rereads.pending(escrow, current.version)):
            return False
        del self.unknown[escrow]
        if current is not None and current.collateral_amount == entry.collateral_before - entry.plan.seized:
            await self.store.finish(entry.attempt_id, "succeeded", mined_block=current.block_number)
            self.metrics.liquidations.labels("succeeded").inc()
            log.info("Liquidation executed successfully", escrow=escrow, txHash=None,
                     healthFactor=entry.plan.health_factor, repayAmount=str(entry.plan.repay),
                     collateralSeized=str(entry.plan.seized), resolvedFrom="unknown")
        else:
            reason = "Not executed: the escrow's fresh read shows no seizure" if current else "Escrow no longer registered"
            await self.store.finish(entry.attempt_id, "failed", reason)
            self.metrics.liquidations.labels("failed").inc()
            log.error("Liquidation failed", escrow=escrow, error=reason, healthFactor=entry.plan.health_factor)
        return True
