"""Following sent liquidations to their final receipt, in the background, and resolving the ones a
previous process left in flight (after `kill -9`) from their receipts instead of sending again.

A settled escrow is unlocked, re-read when it changed, and handed back to the next check.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass

from services.liquidation_engine.attempts import INTERRUPTED_ERROR, AttemptStore
from services.liquidation_engine.check_requests import CheckRequests
from services.liquidation_engine.models import LiquidationRow
from services.liquidation_engine.monitor_client import MonitorClient
from services.liquidation_engine.outcomes import UNKNOWN_VERSION, Outcomes, UnresolvedAttempt
from services.liquidation_engine.planning.budget import Plan
from services.liquidation_engine.position_copy import PositionCopy
from services.liquidation_engine.sending import Sent
from shared.logging import get_logger
from shared.positions import Position
from shared.pxe.client import PxeClient, TxReceipt
from shared.pxe.errors import PxeError
from shared.retry import backoff_delay

log = get_logger()


@dataclass(frozen=True)
class ReceiptConfig:
    timeout: float
    poll_interval: float
    backoff_max: float


class ReceiptFollower:
    def __init__(self, pxe: PxeClient, store: AttemptStore, outcomes: Outcomes, positions: PositionCopy,
                 monitor: MonitorClient, requests: CheckRequests, config: ReceiptConfig) -> None:
        self.pxe = pxe
        self.store = store
        self.outcomes = outcomes
        self.positions = positions
        self.monitor = monitor
        self.requests = requests
        self.config = config
        self._followers: set[asyncio.Task[None]] = set()

    def follow_all(self, sent: list[Sent]) -> None:
        for item in sent:
            attempt = item.attempt
            self._spawn(self.follow(attempt.attempt_id, attempt.finding.position, attempt.plan, item.tx_hash))

    async def follow(self, attempt_id: int, position: Position | None, plan: Plan, tx_hash: str) -> None:
        """Wait for the receipt (as long as it takes), then settle the attempt and unlock the escrow."""
        attempt = 0
        while True:
            attempt += 1
            try:
                receipt = await self.pxe.wait_for_receipt(
                    tx_hash, timeout=self.config.timeout, poll_interval=self.config.poll_interval
                )
                break
            except (TimeoutError, PxeError) as exc:
                log.warning("Liquidation receipt pending", escrow=plan.escrow, txHash=tx_hash,
                            error=str(exc) or type(exc).__name__)
                await asyncio.sleep(backoff_delay(attempt, self.config.poll_interval, self.config.backoff_max))
        await self._settle(attempt_id, position, plan, tx_hash, receipt)

    async def _settle(self, attempt_id: int, position: Position | None, plan: Plan, tx_hash: str,
                      receipt: TxReceipt) -> None:
        try:
            if receipt.status == "success":
                await self.outcomes.succeeded(attempt_id, plan, tx_hash,
                                              position.version if position else UNKNOWN_VERSION)
                if position is not None:
                    await self.positions.reread(position)
                self._spawn(self._ask_monitor_to_sync())
            else:
                error = receipt.error or f"Transaction {receipt.status}"
                await self.outcomes.failed(attempt_id, plan, error, tx_hash=tx_hash)
        finally:
            self.outcomes.release(plan, position.debt_token if position else None, reserved=True)
            self.requests.recheck(plan.escrow)

    async def _ask_monitor_to_sync(self) -> None:
        await self.monitor.request_sync()

    async def resume(self, rows: list[LiquidationRow] | None = None) -> int:
        """Resolve attempts a previous process (or a stopped engine) left in flight, all of them or `rows`;
        returns how many are being followed."""
        followed = 0
        for row in await self.store.unresolved() if rows is None else rows:
            plan = Plan(row.escrow, row.health_factor, int(row.repay_amount), int(row.collateral_seized),
                        int(row.collateral_price), int(row.debt_price))
            known = self.positions.get(row.escrow)
            if row.status == "unknown":
                self.outcomes.rereads.require(row.escrow, UNKNOWN_VERSION)
                self.outcomes.unknown[row.escrow] = UnresolvedAttempt(row.id, plan, int(row.collateral_before or 0))
                continue
            if not row.tx_hash:
                # Not cooled down: the re-read it must wait for is what makes a retry safe.
                await self.outcomes.failed(row.id, plan, INTERRUPTED_ERROR, cooldown=False,
                                           reread_after=known.version if known else UNKNOWN_VERSION)
                continue
            self.outcomes.in_flight.lock(row.escrow)
            log.info("Liquidation in flight resumed", escrow=row.escrow, txHash=row.tx_hash)
            self._spawn(self.follow(row.id, known, plan, row.tx_hash))
            followed += 1
        return followed

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._followers.add(task)
        task.add_done_callback(self._followers.discard)
        task.add_done_callback(_log_crash)

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until no receipt is being followed (tests, benchmarks, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._followers and time.monotonic() < deadline:
            await asyncio.wait(set(self._followers), timeout=max(0.0, deadline - time.monotonic()))

    async def stop(self) -> None:
        for task in list(self._followers):
            task.cancel()
        if self._followers:
            await asyncio.gather(*self._followers, return_exceptions=True)


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Liquidation follower crashed", error=repr(task.exception()))
