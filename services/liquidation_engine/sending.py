"""Sending liquidations through the PXE (docs/money-math.md, what a liquidation sends): the liquidator account, its balances, the
attempt rows written before anything goes out, then authwits and transactions in JSON-RPC batches.

One attempt per escrow at a time: an escrow is locked from the moment it is chosen until its
transaction's receipt is final (receipts.py unlocks it). Batches carry SEND_CHUNK liquidations
(one by one against a PXE that refuses batches), at most `max_concurrent` batches at once.

Several engines on one database: an attempt is sent only once its row is claimed (attempts.py), so
the database decides which engine sends it. Each engine claims its own share of the book first
(takeover.py, shared/leases.py) and the others' shares after, so a burst is spread over the engines.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.liquidation_engine.attempts import AttemptStore
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.outcomes import Outcomes
from services.liquidation_engine.planning.budget import Plan, Skipped, budget
from services.liquidation_engine.planning.evaluate import Finding
from services.liquidation_engine.planning.holds import InFlight
from shared.logging import get_logger
from shared.pxe.client import Call, PxeClient
from shared.pxe.errors import PxeError, PxeReverted, PxeUnreachable
from shared.pxe.fields import to_field

log = get_logger()

NONCE_BITS = 248  # a fresh random nonce that always fits a field
SEND_CHUNK = 100  # liquidations per JSON-RPC batch: a whole burst in one round trip (measured best)
LAPSED = "Not sent: this engine's membership lease was not renewed in time"


class LiquidatorNotReady(Exception):
    pass


@dataclass
class Attempt:
    """A planned liquidation with the id of its persisted row."""

    finding: Finding
    plan: Plan
    attempt_id: int = 0

    @property
    def debt_token(self) -> str:
        return self.finding.position.debt_token


@dataclass(frozen=True)
class Sent:
    attempt: Attempt
    tx_hash: str


class LiquidationSender:
    def __init__(self, pxe: PxeClient, store: AttemptStore, in_flight: InFlight, outcomes: Outcomes,
                 metrics: EngineMetrics, max_concurrent: int, *, may_claim: Callable[[], bool] = lambda: True,
                 ours: Callable[[str], bool] = lambda escrow: True) -> None:
        self.may_claim = may_claim  # this engine's membership is held (always, alone on SQLite)
        self.ours = ours  # the escrow is in this engine's share of the book
        self.pxe = pxe
        self.store = store
        self.in_flight = in_flight
        self.outcomes = outcomes
        self.metrics = metrics
        self.liquidator: str | None = None
        self._slots = asyncio.Semaphore(max_concurrent)

    async def register(self, secret_key: str) -> str:
        self.liquidator = await self.pxe.register_account(secret_key)
        log.info("Liquidator account registered", address=self.liquidator)
        return self.liquidator

    async def balances(self, tokens: set[str]) -> dict[str, int]:
        """Private balances of the debt tokens, less what sent transactions will still take."""
        if self.liquidator is None:
            raise LiquidatorNotReady("liquidator account not registered with the PXE yet")
        ordered = sorted(tokens)
        amounts = await asyncio.gather(*(self.pxe.private_balance(t, self.liquidator) for t in ordered))
        return self.in_flight.available(dict(zip(ordered, amounts, strict=True)))

    async def send(self, findings: list[Finding], accepted_at: float | None,
                   balances: dict[str, int] | None = None) -> list[Sent]:
        """Liquidate `findings` (in priority order, none in flight); the transactions that went out.

        `balances`: the liquidator's debt-token balances if already read. The most at-risk liquidation
        goes out in a batch of its own and the others start once its send is on its way, so the first
        send never queues behind a hundred authwits in the PXE.
        """
        findings = [f for f in findings if f.position.escrow not in self.in_flight]
        if not findings:
            return []
        if self.liquidator is None:
            log.warning("Liquidator account not registered yet; liquidations wait", escrows=len(findings))
            return []
        if not self.may_claim():
            log.warning("Engine membership not renewed; liquidations wait", escrows=len(findings))
            return []
        for f in findings:
            self.in_flight.lock(f.position.escrow)
        planned = await self._planned(findings, balances)
        if planned is None:
            return []
        attempts, skipped = planned
        sent = await self._send_all(attempts, accepted_at)
        await self._record_hashes(sent)
        await self.outcomes.skipped(skipped)
        return sent

    async def _planned(self, findings: list[Finding],
                       balances: dict[str, int] | None) -> tuple[list[Attempt], list[Skipped]] | None:
        """Budgeted within what the liquidator holds (less what sent transactions will still take)."""
        tokens = {f.position.debt_token for f in findings}
        try:
            if balances is None or not tokens <= set(balances):
                available = await self.balances(tokens)
            else:
                available = self.in_flight.available({t: balances[t] for t in tokens})
        except (PxeError, LiquidatorNotReady) as exc:
            for f in findings:
                self.in_flight.unlock(f.position.escrow)
            log.error("Liquidator balance unavailable", error=str(exc), escrows=len(findings))
            return None
        planned, skipped = budget(findings, available)
        for item in planned:
            self.in_flight.reserve(item.finding.position.debt_token, item.plan.repay)
        return [Attempt(p.finding, p.plan) for p in planned], skipped

    async def _send_all(self, attempts: list[Attempt], accepted_at: float | None) -> list[Sent]:
        if not attempts:
            return []
        own: list[Attempt] = []
        others: list[Attempt] = []
        for attempt in attempts:
            (own if self.ours(attempt.plan.escrow) else others).append(attempt)
        ordered = own + others
        first_out = asyncio.Event()
        first = asyncio.ensure_future(self._send_chunk(ordered[:1], accepted_at, first_out))
        head_start = asyncio.ensure_future(first_out.wait())
        try:
            await asyncio.wait([first, head_start], return_when=asyncio.FIRST_COMPLETED)
        finally:
            head_start.cancel()
        results = await asyncio.gather(first, *(self._send_chunk(c, accepted_at) for c in _chunks(own[1:])))
        if others:  # another engine's share: claimed once ours is out, unless that engine claimed it first
            results += await asyncio.gather(*(self._send_chunk(c, accepted_at) for c in _chunks(others[1:] if not own else others)))
        return [s for chunk in results for s in chunk]

    async def _persist(self, attempts: list[Attempt]) -> None:
        """Their rows written as `submitted`, claimed, before anything of theirs is sent (crash safety);
        an attempt the database refuses (its escrow in flight or cooling down, any engine's) keeps id 0."""
        ids = await self.store.claim([a.plan for a in attempts])
        refused = []
        for attempt, attempt_id in zip(attempts, ids, strict=True):
            if attempt_id is None:
                refused.append(attempt.plan.escrow)
                self.outcomes.release(attempt.plan, attempt.debt_token, reserved=True)
            else:
                attempt.attempt_id = attempt_id
        if refused:
            self.metrics.claims_refused.inc(len(refused))
            log.debug("Liquidations claimed elsewhere or cooling down; not sent", escrows=refused)

    async def _send_chunk(self, attempts: list[Attempt], accepted_at: float | None,
                          going_out: asyncio.Event | None = None) -> list[Sent]:
        """The chunk's rows written while its authwits are made (one JSON-RPC batch), then its sends in
        another; `going_out` is set as the sends leave."""
        async with self._slots:
            assert self.liquidator is not None
            prepared = [self._calls(a) for a in attempts]
            intents = [(a.finding.position.pool, transfer) for a, (transfer, _) in zip(attempts, prepared, strict=True)]
            rows = asyncio.ensure_future(self._persist(attempts))
            try:
                authwits: list[dict[str, Any] | PxeError] = await self.pxe.create_authwits(self.liquidator, intents)
            except PxeError as exc:
                authwits = [exc] * len(attempts)  # nothing was sent
            try:
                await rows
            except Exception as exc:  # noqa: BLE001 - without its row an attempt is never sent
                for attempt in attempts:
                    self.outcomes.release(attempt.plan, attempt.debt_token, reserved=True)
                log.error("Liquidation attempts not recorded; nothing sent", escrows=len(attempts), error=repr(exc))
                return []
            claimed = [i for i, a in enumerate(attempts) if a.attempt_id]
            ready = await self._authorised([attempts[i] for i in claimed], [prepared[i] for i in claimed],
                                           [authwits[i] for i in claimed])
            if ready and not self.may_claim():  # the lease lapsed meanwhile: another engine may take these over
                for attempt, _, _ in ready:  # nothing went out: no cooldown for the engine that takes over
                    await self._not_sent(attempt, LAPSED, cooldown=False)
                return []
            if not ready:
                return []
            if going_out is not None:
                going_out.set()
            try:
                results: list[str | PxeError] = await self.pxe.send_txs(
                    [([call], [authwit]) for _, call, authwit in ready], self.liquidator)
            except Exception as exc:  # noqa: BLE001 - whatever broke, the sends may have gone out
                results = [PxeUnreachable(_reason(exc))] * len(ready)
            return [s for (attempt, _, _), result in zip(ready, results, strict=True)
                    if (s := await self._outcome(attempt, result, accepted_at)) is not None]

    async def _authorised(self, attempts: list[Attempt], prepared: list[tuple[Call, Call]],
                          authwits: list[dict[str, Any] | PxeError]) -> list[tuple[Attempt, Call, dict[str, Any]]]:
        ready: list[tuple[Attempt, Call, dict[str, Any]]] = []
        for attempt, (_, liquidate), authwit in zip(attempts, prepared, authwits, strict=True):
            if isinstance(authwit, PxeError):
                await self._not_sent(attempt, _reason(authwit))
            else:
                ready.append((attempt, liquidate, authwit))
        return ready

    def _calls(self, attempt: Attempt) -> tuple[Call, Call]:
        """The debt token's transfer the authwit allows, and the escrow's liquidate call."""
        position, plan = attempt.finding.position, attempt.plan
        assert self.liquidator is not None
        nonce = secrets.randbits(NONCE_BITS)
        transfer = Call("transfer_private_to_public", position.debt_token,
                        [to_field(self.liquidator), to_field(position.pool), to_field(plan.repay), to_field(nonce)])
        liquidate = Call("liquidate", position.escrow,
                         [to_field(plan.repay), to_field(nonce), to_field(plan.collateral_price), to_field(plan.debt_price)])
        return transfer, liquidate

    async def _outcome(self, attempt: Attempt, result: str | PxeError, accepted_at: float | None) -> Sent | None:
        if isinstance(result, PxeReverted):
            await self._not_sent(attempt, result.reason)
            return None
        if isinstance(result, PxeError):
            # The send may or may not have reached the PXE: never resend blindly, re-read first.
            await self._unknown(attempt, f"Send outcome unknown ({_reason(result)}); not resent")
            return None
        if accepted_at is not None:
            self.metrics.reaction_latency.observe(max(0.0, time.monotonic() - accepted_at))
        return Sent(attempt, result)

    async def _not_sent(self, attempt: Attempt, error: str, cooldown: bool = True) -> None:
        try:
            await self.outcomes.failed(attempt.attempt_id, attempt.plan, error, cooldown=cooldown)
        finally:
            self.outcomes.release(attempt.plan, attempt.debt_token, reserved=True)

    async def _unknown(self, attempt: Attempt, error: str) -> None:
        try:
            await self.outcomes.outcome_unknown(attempt.attempt_id, attempt.plan, attempt.finding.position, error)
        finally:
            self.outcomes.release(attempt.plan, attempt.debt_token, reserved=True)

    async def _record_hashes(self, sent: list[Sent]) -> None:
        """Each hash durably recorded, so a restart follows the receipt instead of guessing."""
        results = await asyncio.gather(*(self.store.set_tx_hash(s.attempt.attempt_id, s.tx_hash) for s in sent),
                                       return_exceptions=True)
        for item, result in zip(sent, results, strict=True):
            if isinstance(result, Exception):  # still followed: the escrow must not stay locked
                log.error("Liquidation tx hash not recorded", escrow=item.attempt.plan.escrow, txHash=item.tx_hash,
                          error=repr(result))


def _chunks(attempts: list[Attempt]) -> list[list[Attempt]]:
    return [attempts[i:i + SEND_CHUNK] for i in range(0, len(attempts), SEND_CHUNK)]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, PxeReverted):
        return exc.reason
    if isinstance(exc, PxeUnreachable):
        return str(exc) or "PXE unreachable"
    return str(exc) or type(exc).__name__
