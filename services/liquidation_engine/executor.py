"""The PXE side of a liquidation: balance, authwit, send, receipt, re-read (SPEC section 6).

One attempt per escrow at a time: an escrow is locked from the moment it is chosen until its
transaction's receipt is final. Authwits and transactions go to the PXE in JSON-RPC batches of
SEND_CHUNK (one by one against a PXE that refuses batches), at most MAX_CONCURRENT_LIQUIDATIONS
batches at once; receipts are followed in the background so a slow block never delays a send.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from services.liquidation_engine.attempts import INTERRUPTED_ERROR, AttemptStore, Cooldowns, Plan, Rereads
from services.liquidation_engine.evaluate import Finding, TrackedPosition
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.mirror import MonitorClient, PositionMirror
from shared.logging import get_logger
from shared.pxe.client import Call, PxeClient, TxReceipt
from shared.pxe.errors import PxeError, PxeReverted, PxeUnreachable
from shared.pxe.fields import to_field

log = get_logger()

NONCE_BITS = 248  # a fresh random nonce that always fits a field
SEND_CHUNK = 100  # liquidations per JSON-RPC batch: a whole burst in one round trip (measured best)
UNKNOWN_VERSION = 2**62  # "only our own PXE read will do": no monitor version satisfies it


class LiquidatorNotReady(Exception):
    pass


@dataclass
class Job:
    finding: Finding
    plan: Plan
    attempt_id: int = 0


@dataclass(frozen=True)
class ExecutorConfig:
    receipt_timeout: float
    receipt_poll_interval: float
    max_concurrent: int
    follow_backoff_max: float


class Executor:
    def __init__(self, pxe: PxeClient, store: AttemptStore, cooldowns: Cooldowns, rereads: Rereads,
                 mirror: PositionMirror, monitor: MonitorClient, metrics: EngineMetrics, config: ExecutorConfig) -> None:
        self.pxe = pxe
        self.store = store
        self.cooldowns = cooldowns
        self.rereads = rereads
        self.mirror = mirror
        self.monitor = monitor
        self.metrics = metrics
        self.config = config
        self.liquidator: str | None = None
        self.in_flight: set[str] = set()
        self.reserved: dict[str, int] = {}  # debt token -> repay of sent, not yet final, transactions
        self.on_settled: Callable[[str], None] = lambda escrow: None
        self._send_slots = asyncio.Semaphore(config.max_concurrent)
        self._followers: set[asyncio.Task[None]] = set()

    # --- account ---------------------------------------------------------------------------

    async def register(self, secret_key: str) -> str:
        self.liquidator = await self.pxe.register_account(secret_key)
        log.info("Liquidator account registered", address=self.liquidator)
        return self.liquidator

    def busy(self, escrow: str) -> bool:
        return escrow in self.in_flight

    # --- a batch of liquidations -------------------------------------------------------------

    async def balances(self, tokens: set[str]) -> dict[str, int]:
        """Private balances of the debt tokens, less what sent transactions will still take."""
        if self.liquidator is None:
            raise LiquidatorNotReady("liquidator account not registered with the PXE yet")
        liquidator = self.liquidator
        ordered = sorted(tokens)
        amounts = await asyncio.gather(*(self.pxe.private_balance(t, liquidator) for t in ordered))
        return {t: a - self.reserved.get(t, 0) for t, a in zip(ordered, amounts, strict=True)}

    async def liquidate(self, findings: list[Finding], accepted_at: float | None) -> int:
        """Liquidate `findings` (already in priority order, none locked); returns how many were sent."""
        findings = [f for f in findings if f.position.escrow not in self.in_flight]
        if not findings:
            return 0
        if self.liquidator is None:
            log.warning("Liquidator account not registered yet; liquidations wait", escrows=len(findings))
            return 0
        for f in findings:
            self.in_flight.add(f.position.escrow)
        try:
            available = await self.balances({f.position.debt_token for f in findings})
        except (PxeError, LiquidatorNotReady) as exc:
            for f in findings:
                self.in_flight.discard(f.position.escrow)
            log.error("Liquidator balance unavailable", error=str(exc), escrows=len(findings))
            return 0
        jobs, skipped = self._budget(findings, available)
        await self._record_skipped(skipped)
        if not jobs:
            return 0
        try:
            ids = await self.store.add([j.plan for j in jobs])
        except Exception:
            for job in jobs:
                self._unlock(job)
            raise
        for job, attempt_id in zip(jobs, ids, strict=True):
            job.attempt_id = attempt_id
            self.reserved[job.finding.position.debt_token] = self.reserved.get(job.finding.position.debt_token, 0) + job.plan.repay
        # Receipts are polled only once the whole batch is out: polling earlier would compete with the sends.
        all_sent = asyncio.Event()
        try:
            sent = await asyncio.gather(*(self._send_chunk(chunk, accepted_at, all_sent) for chunk in _chunks(jobs)))
        finally:
            all_sent.set()
        return sum(sent)

    def _budget(self, findings: list[Finding], available: dict[str, int]) -> tuple[list[Job], list[tuple[Job, str]]]:
        jobs: list[Job] = []
        skipped: list[tuple[Job, str]] = []
        for f in findings:
            outcome = f.repay()
            plan = Plan(f.position.escrow, f.health_factor_text, outcome.repay, outcome.seized,
                        f.collateral_price, f.debt_price)
            token = f.position.debt_token
            have = available.get(token, 0)
            if outcome.repay <= 0:
                skipped.append((Job(f, plan), "Nothing can be repaid within the close factor and the collateral"))
            elif outcome.seized <= 0:
                # Bad debt: repaying would give tokens away for no collateral, every check, forever.
                skipped.append((Job(f, plan), "Nothing to seize: the position has no collateral left (bad debt)"))
            elif have < outcome.repay:
                skipped.append((Job(f, plan), f"Insufficient debt-token balance: have {max(have, 0)}, need {outcome.repay}"))
            else:
                available[token] = have - outcome.repay
                jobs.append(Job(f, plan))
        return jobs, skipped

    async def _record_skipped(self, skipped: list[tuple[Job, str]]) -> None:
        if not skipped:
            return
        try:
            await self.store.add([j.plan for j, _ in skipped], status="skipped", errors=[r for _, r in skipped])
        finally:
            for job, reason in skipped:
                self.in_flight.discard(job.plan.escrow)
                delay = self.cooldowns.failed(job.plan.escrow)
                self.metrics.liquidations.labels("skipped").inc()
                log.warning("Liquidation skipped", escrow=job.plan.escrow, reason=reason,
                            healthFactor=job.plan.health_factor, retryInSeconds=delay)

    async def _send_chunk(self, jobs: list[Job], accepted_at: float | None, all_sent: asyncio.Event) -> int:
        """Authwits for the chunk in one JSON-RPC batch, then its transactions in another."""
        async with self._send_slots:
            assert self.liquidator is not None
            prepared = [self._calls(job) for job in jobs]
            try:
                authwits = await self.pxe.create_authwits(self.liquidator, [(j.finding.position.pool, t) for j, (t, _) in
                                                                           zip(jobs, prepared, strict=True)])
            except PxeError as exc:
                authwits = [exc] * len(jobs)  # nothing was sent
            ready: list[tuple[Job, Call, dict]] = []
            for job, (_, liquidate), authwit in zip(jobs, prepared, authwits, strict=True):
                if isinstance(authwit, PxeError):
                    await self._failed(job, _reason(authwit), reread=False)
                else:
                    ready.append((job, liquidate, authwit))
            if not ready:
                return 0
            try:
                results = await self.pxe.send_txs([([call], [authwit]) for _, call, authwit in ready], self.liquidator)
            except PxeError as exc:
                results = [PxeUnreachable(_reason(exc))] * len(ready)
            return sum([await self._sent(job, result, accepted_at, all_sent)
                        for (job, _, _), result in zip(ready, results, strict=True)])

    def _calls(self, job: Job) -> tuple[Call, Call]:
        """The debt token's transfer the authwit allows, and the escrow's liquidate call."""
        position, plan = job.finding.position, job.plan
        assert self.liquidator is not None
        nonce = secrets.randbits(NONCE_BITS)
        transfer = Call("transfer_private_to_public", position.debt_token,
                        [to_field(self.liquidator), to_field(position.pool), to_field(plan.repay), to_field(nonce)])
        liquidate = Call("liquidate", position.escrow,
                         [to_field(plan.repay), to_field(nonce), to_field(plan.collateral_price), to_field(plan.debt_price)])
        return transfer, liquidate

    async def _sent(self, job: Job, result: str | PxeError, accepted_at: float | None, all_sent: asyncio.Event) -> int:
        if isinstance(result, PxeReverted):
            await self._failed(job, result.reason, reread=False)
            return 0
        if isinstance(result, PxeError):
            # The send may or may not have reached the PXE: never resend blindly, re-read first.
            await self._failed(job, f"Send outcome unknown ({_reason(result)}); not resent", reread=True)
            return 0
        if accepted_at is not None:
            self.metrics.reaction_latency.observe(max(0.0, time.monotonic() - accepted_at))
        self._spawn(self._record_and_follow(job, result, all_sent))
        return 1

    async def _record_and_follow(self, job: Job, tx_hash: str, all_sent: asyncio.Event) -> None:
        try:
            await self.store.set_tx_hash(job.attempt_id, tx_hash)
        except Exception as exc:  # still follow the receipt: the escrow must not stay locked
            log.error("Liquidation tx hash not recorded", escrow=job.plan.escrow, txHash=tx_hash, error=repr(exc))
        await all_sent.wait()
        await self.follow(job.attempt_id, job.finding.position, job.plan, tx_hash)

    # --- receipts --------------------------------------------------------------------------

    async def follow(self, attempt_id: int, position: TrackedPosition | None, plan: Plan, tx_hash: str) -> None:
        """Wait for the receipt (as long as it takes), then settle the attempt and unlock the escrow."""
        delay = self.config.receipt_poll_interval
        while True:
            try:
                receipt = await self.pxe.wait_for_receipt(
                    tx_hash, timeout=self.config.receipt_timeout, poll_interval=self.config.receipt_poll_interval
                )
                break
            except (TimeoutError, PxeError) as exc:
                log.warning("Liquidation receipt pending", escrow=plan.escrow, txHash=tx_hash, error=_reason(exc))
                await asyncio.sleep(delay)
                delay = min(self.config.follow_backoff_max, delay * 2)
        await self._settle(attempt_id, position, plan, tx_hash, receipt)

    async def _settle(self, attempt_id: int, position: TrackedPosition | None, plan: Plan, tx_hash: str,
                      receipt: TxReceipt) -> None:
        token = position.debt_token if position else None
        try:
            if receipt.status == "success":
                await self.store.finish(attempt_id, "succeeded")
                self.metrics.liquidations.labels("succeeded").inc()
                self.cooldowns.succeeded(plan.escrow)
                log.info("Liquidation executed successfully", escrow=plan.escrow, txHash=tx_hash,
                         healthFactor=plan.health_factor, repayAmount=str(plan.repay),
                         collateralSeized=str(plan.seized))
                self.rereads.require(plan.escrow, position.version if position else UNKNOWN_VERSION)
                if position is not None:
                    await self.reread(position)
                self._spawn(self._ask_monitor_to_sync())
            else:
                error = receipt.error or f"Transaction {receipt.status}"
                await self.store.finish(attempt_id, "failed", error)
                self.metrics.liquidations.labels("failed").inc()
                delay = self.cooldowns.failed(plan.escrow)
                log.error("Liquidation failed", escrow=plan.escrow, error=error, healthFactor=plan.health_factor,
                          txHash=tx_hash, retryInSeconds=delay)
        finally:
            if token is not None:
                self.reserved[token] = max(0, self.reserved.get(token, 0) - plan.repay)
            self.in_flight.discard(plan.escrow)
            self.on_settled(plan.escrow)

    async def _failed(self, job: Job, error: str, *, reread: bool) -> None:
        plan = job.plan
        try:
            await self.store.finish(job.attempt_id, "failed", error)
        finally:
            self.metrics.liquidations.labels("failed").inc()
            delay = self.cooldowns.failed(plan.escrow)
            if reread:
                self.rereads.require(plan.escrow, job.finding.position.version)
            log.error("Liquidation failed", escrow=plan.escrow, error=error, healthFactor=plan.health_factor,
                      retryInSeconds=delay)
            self._unlock(job)

    def _unlock(self, job: Job) -> None:
        token = job.finding.position.debt_token
        if job.attempt_id:
            self.reserved[token] = max(0, self.reserved.get(token, 0) - job.plan.repay)
        self.in_flight.discard(job.plan.escrow)

    # --- re-reads ----------------------------------------------------------------------------

    async def reread(self, position: TrackedPosition) -> bool:
        """Read the escrow's notes ourselves so the next check sees what the liquidation left."""
        try:
            # The block first: the notes read after it are at least that new (as the monitor stamps them).
            block = await self.pxe.block_number()
            await self.pxe.sync_private_state(position.escrow)
            notes = await self.pxe.collateral_and_debt(position.pool, position.escrow)
        except PxeError as exc:
            log.warning("Escrow re-read failed", escrow=position.escrow, error=_reason(exc))
            return False
        current = self.mirror.get(position.escrow) or position
        self.mirror.put(replace(current, collateral_amount=notes.collateral_amount, principal=notes.loan_principal,
                                loan_epoch=notes.loan_epoch, block_number=max(block, current.block_number)))
        self.rereads.done(position.escrow)
        return True

    async def _ask_monitor_to_sync(self) -> None:
        await self.monitor.request_sync()

    # --- restart ---------------------------------------------------------------------------------

    async def resume(self) -> int:
        """Resolve attempts a previous process left in flight; returns how many are being followed."""
        followed = 0
        for row in await self.store.unresolved():
            plan = Plan(row.escrow, row.health_factor, int(row.repay_amount), int(row.collateral_seized),
                        int(row.collateral_price), int(row.debt_price))
            if not row.tx_hash:
                await self.store.finish(row.id, "failed", INTERRUPTED_ERROR)
                self.metrics.liquidations.labels("failed").inc()
                known = self.mirror.get(row.escrow)
                self.rereads.require(row.escrow, known.version if known else UNKNOWN_VERSION)
                log.error("Liquidation failed", escrow=row.escrow, error=INTERRUPTED_ERROR,
                          healthFactor=row.health_factor)
                continue
            self.in_flight.add(row.escrow)
            log.info("Liquidation in flight resumed", escrow=row.escrow, txHash=row.tx_hash)
            self._spawn(self.follow(row.id, self.mirror.get(row.escrow), plan, row.tx_hash))
            followed += 1
        return followed

    # --- tasks -----------------------------------------------------------------------------------

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


def _reason(exc: BaseException) -> str:
    if isinstance(exc, PxeReverted):
        return exc.reason
    if isinstance(exc, PxeUnreachable):
        return str(exc) or "PXE unreachable"
    return str(exc) or type(exc).__name__


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Liquidation follower crashed", error=repr(task.exception()))


def _chunks(jobs: list[Job], size: int = SEND_CHUNK) -> list[list[Job]]:
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]
