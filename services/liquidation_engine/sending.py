"""Sending liquidations through the PXE send gateways (docs/money-math.md, what a liquidation sends): the
liquidator account, its balances, then bundles (bundles.py) spread over the gateways, most at risk first.

One attempt per escrow at a time: an escrow is locked from the moment it is chosen until its
transaction's receipt is final (receipts.py unlocks it). Each send gateway takes the next bundle from
the queue as soon as it has proven its last: as many liquidations as its entrypoint carries
(`pxe_getTxLimits`), their rows claimed in the database while their authwits are made, then proven,
recorded and sent (bundles.py). A real PXE proves one transaction at a time, so one bundle at a time
per gateway keeps each busy without queueing work behind work.

Several engines on one database: an attempt is sent only once its row is claimed (attempts.py), so
the database decides which engine sends it. Each engine queues its own share of the book first
(takeover.py, shared/leases.py) and the others' shares after, so a burst is spread over the engines.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from collections.abc import Callable
from typing import Any

from services.liquidation_engine.bundles import LAPSED, Attempt, Bundles, Burst, Ready, Sent
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.outcomes import Outcomes
from services.liquidation_engine.planning.budget import Skipped, budget
from services.liquidation_engine.planning.evaluate import Finding
from services.liquidation_engine.planning.holds import InFlight
from services.liquidation_engine.pxe_roles import PxeRoles
from shared.logging import get_logger
from shared.pxe.client import Call, PxeClient
from shared.pxe.errors import PxeError
from shared.pxe.fields import to_field

log = get_logger()

NONCE_BITS = 248  # a fresh random nonce that always fits a field
PREPARED = 2  # bundles claimed and authorised ahead of the one being proven, per send gateway

__all__ = ["LAPSED", "Attempt", "LiquidationSender", "LiquidatorNotReady", "Sent"]


class LiquidatorNotReady(Exception):
    pass


class LiquidationSender:
    def __init__(self, pxe: PxeRoles, outcomes: Outcomes, in_flight: InFlight, metrics: EngineMetrics, *,
                 may_claim: Callable[[], bool] = lambda: True, ours: Callable[[str], bool] = lambda escrow: True,
                 on_sent: Callable[[Sent], None] = lambda sent: None) -> None:
        self.may_claim = may_claim  # this engine's membership is held (always, alone on SQLite)
        self.ours = ours  # the escrow is in this engine's share of the book
        self.pxe = pxe
        self.outcomes, self.store = outcomes, outcomes.store
        self.in_flight = in_flight
        self.metrics = metrics
        self.bundles = Bundles(outcomes, metrics, may_send=may_claim, on_sent=on_sent)
        self.liquidator: str | None = None

    async def register(self, secret_key: str) -> str:
        """The liquidator account registered with every gateway (the same key: the same address)."""
        addresses = set(await asyncio.gather(*(c.register_account(secret_key) for c in self.pxe.each_pxe)))
        if len(addresses) != 1:
            raise PxeError(f"the PXE gateways registered the liquidator at {len(addresses)} different addresses")
        self.liquidator = addresses.pop()
        log.info("Liquidator account registered", address=self.liquidator, gateways=len(self.pxe.each_pxe))
        return self.liquidator

    async def balances(self, tokens: set[str]) -> dict[str, int]:
        """Private balances of the debt tokens, less what sent transactions will still take."""
        if self.liquidator is None:
            raise LiquidatorNotReady("liquidator account not registered with the PXE yet")
        ordered, read = sorted(tokens), self.pxe.read.next()
        amounts = await asyncio.gather(*(read.private_balance(t, self.liquidator) for t in ordered))
        return self.in_flight.available(dict(zip(ordered, amounts, strict=True)))

    async def send(self, findings: list[Finding], accepted_at: float | None,
                   balances: dict[str, int] | None = None) -> list[Sent]:
        """Liquidate `findings` (in priority order, none in flight); the transactions that went out.
        `balances`: the liquidator's debt-token balances if already read."""
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
        own = [a for a in attempts if self.ours(a.plan.escrow)]
        queue = deque(own + [a for a in attempts if not self.ours(a.plan.escrow)])
        burst = Burst(accepted_at)
        gateways = self.pxe.send.clients
        limits = await asyncio.gather(*(self._limit(g) for g in gateways))
        # The first bundles dealt round the gateways, one each, alone: the most at risk are proven first,
        # their rows and authwits made without others competing for the database and the PXE.
        upcoming: list[deque[asyncio.Future[list[Ready]]]] = [deque() for _ in gateways]
        for g, (gateway, limit) in enumerate(zip(gateways, limits, strict=True)):
            if (bundle := self._next_bundle(gateway, queue, limit)) is not None:
                upcoming[g].append(bundle)
        try:
            turns = await asyncio.gather(*(self._gateway_turns(gateway, limit, queue, ahead, burst) for gateway, limit, ahead
                                           in zip(gateways, limits, upcoming, strict=True)), return_exceptions=True)
            for failure in [t for t in turns if isinstance(t, BaseException)]:
                log.error("Liquidation sends failed", error=repr(failure))
            if queue:  # every gateway's turns ended early
                self._release_queued(queue)
        finally:
            await burst.settled()
        return burst.sent

    async def _limit(self, gateway: PxeClient) -> int:
        try:
            return await gateway.tx_limits()
        except PxeError as exc:
            log.warning("PXE call limit unreadable; one liquidation per transaction", error=str(exc))
            return 1

    async def _gateway_turns(self, gateway: PxeClient, limit: int, queue: deque[Attempt],
                             upcoming: deque[asyncio.Future[list[Ready]]], burst: Burst) -> None:
        """Bundles from the queue, one after another on this gateway, until it is empty. The next bundles
        (PREPARED) are claimed and authorised while one is proven: their authwits wait in the PXE's queue, so
        each proof is asked for the moment the last one is answered, and their rows are written meanwhile."""
        try:
            while upcoming:
                ready = await upcoming.popleft()
                while len(upcoming) < PREPARED and (after := self._next_bundle(gateway, queue, limit)) is not None:
                    upcoming.append(after)
                await self.bundles.prove(gateway, str(self.liquidator), ready, burst)
        finally:  # a bug ended the turns: what was claimed ahead is not left locked
            for prepared in upcoming:
                await self.bundles.not_sent(await prepared, "Not sent: the engine's send turns ended", cooldown=False)

    def _next_bundle(self, gateway: PxeClient, queue: deque[Attempt], limit: int) -> asyncio.Future[list[Ready]] | None:
        if not queue or not self.may_claim():  # the lease lapsed: nothing more is claimed
            return None
        bundle = [queue.popleft() for _ in range(min(limit, len(queue)))]
        return asyncio.ensure_future(self._claimed_and_authorised(gateway, bundle))

    def _release_queued(self, queue: deque[Attempt]) -> None:
        log.warning("Liquidations not sent; checked again later", escrows=len(queue))
        while queue:
            attempt = queue.popleft()
            self.outcomes.release(attempt.plan, attempt.debt_token, reserved=True)

    async def _claimed_and_authorised(self, gateway: PxeClient, attempts: list[Attempt]) -> list[Ready]:
        """Their rows claimed (crash safety: written before anything of theirs goes out) while their
        authwits are made; those the database refused are released, those without an authwit fail."""
        assert self.liquidator is not None
        prepared = [self._calls(a) for a in attempts]
        rows = asyncio.ensure_future(self._persist(attempts))
        try:
            intents = [(a.finding.position.pool, transfer) for a, (transfer, _) in zip(attempts, prepared, strict=True)]
            authwits: list[dict[str, Any] | PxeError] = await gateway.create_authwits(self.liquidator, intents)
        except PxeError as exc:
            authwits = [exc] * len(attempts)  # nothing was sent
        try:
            await rows
        except Exception as exc:  # noqa: BLE001 - without its row an attempt is never sent
            for attempt in attempts:
                self.outcomes.release(attempt.plan, attempt.debt_token, reserved=True)
            log.error("Liquidation attempts not recorded; nothing sent", escrows=len(attempts), error=repr(exc))
            return []
        ready: list[Ready] = []
        for attempt, (_, liquidate), authwit in zip(attempts, prepared, authwits, strict=True):
            if not attempt.attempt_id:
                continue
            if isinstance(authwit, PxeError):
                await self.bundles.fail(attempt, str(authwit) or type(authwit).__name__)
            else:
                ready.append(Ready(attempt, liquidate, authwit))
        return ready

    async def _persist(self, attempts: list[Attempt]) -> None:
        """Their rows written as `submitted`, claimed; an attempt the database refuses (its escrow in flight,
        cooling down, or liquidated since our view of it: any engine's) keeps id 0 and is released."""
        ids = await self.store.claim([a.plan for a in attempts], [a.finding.position.block_number for a in attempts])
        refused: list[Attempt] = []
        for attempt, attempt_id in zip(attempts, ids, strict=True):
            if attempt_id is None:
                refused.append(attempt)
                self.outcomes.release(attempt.plan, attempt.debt_token, reserved=True)
            else:
                attempt.attempt_id = attempt_id
        if refused:
            self.metrics.claims_refused.inc(len(refused))
            log.debug("Liquidations claimed elsewhere or cooling down; not sent", escrows=[a.plan.escrow for a in refused])
            try:
                superseded = await self.store.superseded({a.plan.escrow: a.finding.position.block_number for a in refused})
            except Exception as exc:  # noqa: BLE001 - only a hint: the claim is what decides
                log.warning("Superseded attempts unreadable", error=repr(exc))
                superseded = set()
            for attempt in refused:  # liquidated by another engine since we read it: read it again first
                if attempt.plan.escrow in superseded:
                    self.outcomes.rereads.require(attempt.plan.escrow, attempt.finding.position.version)

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
