"""How an attempt ends, in one place for the sender and the receipt follower: the row's final status,
the metric, the escrow's cooldown or re-read, the log line, and the escrow unlocked."""

from __future__ import annotations

from services.liquidation_engine.attempts import AttemptStore
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.planning.budget import Plan, Skipped
from services.liquidation_engine.planning.rules import Cooldowns, InFlight, Rereads
from shared.logging import get_logger

log = get_logger()

UNKNOWN_VERSION = 2**62  # "only our own PXE read will do": no monitor version satisfies it


class Outcomes:
    def __init__(self, store: AttemptStore, in_flight: InFlight, cooldowns: Cooldowns, rereads: Rereads,
                 metrics: EngineMetrics) -> None:
        self.store = store
        self.in_flight = in_flight
        self.cooldowns = cooldowns
        self.rereads = rereads
        self.metrics = metrics

    async def skipped(self, skipped: list[Skipped]) -> None:
        """Recorded as `skipped`, each escrow cooling down: nothing was sent."""
        if not skipped:
            return
        try:
            await self.store.add([s.plan for s in skipped], status="skipped", errors=[s.reason for s in skipped])
        finally:
            for item in skipped:
                self.in_flight.unlock(item.plan.escrow)
                delay = self.cooldowns.failed(item.plan.escrow)
                self.metrics.liquidations.labels("skipped").inc()
                log.warning("Liquidation skipped", escrow=item.plan.escrow, reason=item.reason,
                            healthFactor=item.plan.health_factor, retryInSeconds=delay)

    async def failed(self, attempt_id: int, plan: Plan, error: str, *, reread_after: int | None = None,
                     tx_hash: str | None = None, cooldown: bool = True) -> None:
        """A failed attempt; with `reread_after` (the version we knew) the escrow waits for a fresh read."""
        try:
            await self.store.finish(attempt_id, "failed", error)
        finally:
            self.metrics.liquidations.labels("failed").inc()
            delay = self.cooldowns.failed(plan.escrow) if cooldown else None
            if reread_after is not None:
                self.rereads.require(plan.escrow, reread_after)
            extra: dict[str, object] = {"txHash": tx_hash} if tx_hash else {}
            if delay is not None:
                extra["retryInSeconds"] = delay
            log.error("Liquidation failed", escrow=plan.escrow, error=error, healthFactor=plan.health_factor, **extra)

    async def succeeded(self, attempt_id: int, plan: Plan, tx_hash: str, known_version: int) -> None:
        """A mined liquidation: the escrow must be read again before it is considered."""
        await self.store.finish(attempt_id, "succeeded")
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
