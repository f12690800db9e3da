"""Following sent liquidations to their final receipt, in the background, and resolving the ones a
previous process left in flight (after `kill -9`) from their receipts instead of sending again.

One receipt per transaction: the liquidations bundled in it share its outcome, each in its own row. A
`dropped` receipt is believed once it has stayed so for `dropped_grace`: Aztec's node answers `dropped`
for a hash it has not received yet as well, and a transaction whose send was unconfirmed, or that a
crashed engine recorded before sending, may still be on its way.

A settled escrow is unlocked, re-read when it changed, and handed back to the next check.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass

from services.liquidation_engine.attempts import INTERRUPTED_ERROR, AttemptStore
from services.liquidation_engine.bundles import Sent
from services.liquidation_engine.check_requests import CheckRequests
from services.liquidation_engine.models import LiquidationRow
from services.liquidation_engine.monitor_client import MonitorClient
from services.liquidation_engine.outcomes import UNKNOWN_VERSION, Outcomes, UnresolvedAttempt
from services.liquidation_engine.planning.budget import Plan
from services.liquidation_engine.position_copy import PositionCopy
from shared.logging import get_logger
from shared.positions import Position
from shared.pxe.client import TxReceipt
from shared.pxe.errors import PxeError
from shared.pxe.gateways import PxeGateways
from shared.retry import backoff_delay

log = get_logger()


@dataclass(frozen=True)
class ReceiptConfig:
    timeout: float
    poll_interval: float
    backoff_max: float
    dropped_grace: float = 2.0


@dataclass(frozen=True)
class Followed:
    """A liquidation in a transaction being followed: its row, its position when known, its plan."""

    attempt_id: int
    position: Position | None
    plan: Plan


class ReceiptFollower:
    def __init__(self, pxe: PxeGateways, store: AttemptStore, outcomes: Outcomes, positions: PositionCopy,
                 monitor: MonitorClient, requests: CheckRequests, config: ReceiptConfig) -> None:
        self.pxe = pxe  # the read gateways: a receipt is the node's answer, never a job behind a proof
        self.store = store
        self.outcomes = outcomes
        self.positions = positions
        self.monitor = monitor
        self.requests = requests
        self.config = config
        self._followers: set[asyncio.Task[None]] = set()

    def follow_sent(self, sent: Sent) -> None:
        items = [Followed(a.attempt_id, a.finding.position, a.plan) for a in sent.attempts]
        self._spawn(self.follow(sent.tx_hash, items))

    def follow_all(self, sent: list[Sent]) -> None:
        for item in sent:
            self.follow_sent(item)

    async def follow(self, tx_hash: str, items: list[Followed]) -> None:
        """Wait for the receipt (as long as it takes), then settle its attempts and unlock their escrows."""
        receipt = await self._final_receipt(tx_hash, items)
        if receipt.status == "dropped":
            await asyncio.sleep(self.config.dropped_grace)
            receipt = await self._final_receipt(tx_hash, items)
        for item in items:
            await self._settle(item, tx_hash, receipt)
        if receipt.status == "success":
            self._spawn(self._ask_monitor_to_sync())

    async def _final_receipt(self, tx_hash: str, items: list[Followed]) -> TxReceipt:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self.pxe.next().wait_for_receipt(
                    tx_hash, timeout=self.config.timeout, poll_interval=self.config.poll_interval)
            except (TimeoutError, PxeError) as exc:
                log.warning("Liquidation receipt pending", escrows=[i.plan.escrow for i in items], txHash=tx_hash,
                            error=str(exc) or type(exc).__name__)
                await asyncio.sleep(backoff_delay(attempt, self.config.poll_interval, self.config.backoff_max))

    async def _settle(self, item: Followed, tx_hash: str, receipt: TxReceipt) -> None:
        position, plan = item.position, item.plan
        try:
            if receipt.status == "success":
                await self.outcomes.succeeded(item.attempt_id, plan, tx_hash,
                                              position.version if position else UNKNOWN_VERSION, receipt.block_number)
                if position is not None:
                    await self.positions.reread(position)
            else:
                error = receipt.error or f"Transaction {receipt.status}"
                await self.outcomes.failed(item.attempt_id, plan, error, tx_hash=tx_hash)
        except Exception as exc:  # noqa: BLE001 - the other liquidations of the transaction still settle
            log.error("Liquidation outcome not recorded", escrow=plan.escrow, txHash=tx_hash, error=repr(exc))
        finally:
            self.outcomes.release(plan, position.debt_token if position else None, reserved=True)
            self.requests.recheck(plan.escrow)

    async def _ask_monitor_to_sync(self) -> None:
        await self.monitor.request_sync()

    async def resume(self, rows: list[LiquidationRow] | None = None) -> int:
        """Resolve attempts a previous process (or a stopped engine) left in flight, all of them or `rows`;
        returns how many transactions are being followed."""
        by_hash: dict[str, list[Followed]] = {}
        for row in await self.store.unresolved() if rows is None else rows:
            plan = Plan(row.escrow, row.health_factor, int(row.repay_amount), int(row.collateral_seized),
                        int(row.collateral_price), int(row.debt_price))
            known = self.positions.get(row.escrow)
            if row.status == "unknown":
                self.outcomes.rereads.require(row.escrow, UNKNOWN_VERSION)
                self.outcomes.unknown[row.escrow] = UnresolvedAttempt(row.id, plan, int(row.collateral_before or 0))
                continue
            if not row.tx_hash:
                # Never proven, or proven and never recorded: never sent. Not cooled down: the re-read it
                # must wait for is what makes a retry safe.
                await self.outcomes.failed(row.id, plan, INTERRUPTED_ERROR, cooldown=False,
                                           reread_after=known.version if known else UNKNOWN_VERSION)
                continue
            self.outcomes.in_flight.lock(row.escrow)
            log.info("Liquidation in flight resumed", escrow=row.escrow, txHash=row.tx_hash)
            by_hash.setdefault(row.tx_hash, []).append(Followed(row.id, known, plan))
        for tx_hash, items in by_hash.items():
            self._spawn(self.follow(tx_hash, items))
        return len(by_hash)

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
