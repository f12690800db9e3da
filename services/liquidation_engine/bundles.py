"""One transaction of liquidations on one send gateway: proven, its hash recorded, then sent.

`pxe_proveTx` simulates the bundle first: a revert answers -32702 and nothing is kept, so one proof
attempt shows that every call in it succeeds. Then the hash goes into each liquidation's row, and only
then `pxe_sendProvenTx` sends it (as an EVM keeper signs, records and broadcasts): a crash in between
leaves a recorded hash that never mines, never a mined liquidation nobody recorded.

A bundle that reverts names no culprit (the PXE answers the contract's message, not which call), so:
- a price-mismatch reason concerns the prices asserted, not one escrow: each liquidation fails with it
  and is retried at once with fresh prices (outcomes.py), without another simulation;
- a message naming exactly one of the bundle's escrows (a missing note, an unknown contract) drops that
  one and proves the rest again as one bundle;
- otherwise the bundle is halved, the most at-risk half first, and each half proven again: a half that
  proves is sent as it is, a half that reverts is halved again, a single that reverts is the culprit.
  One culprit among n costs at most 2 log2(n) + 1 simulations, and the others still go out in
  log2(n) transactions, where one by one they would take n - 1 proofs (the cost of a real PXE).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.outcomes import Outcomes
from services.liquidation_engine.planning.budget import Plan
from services.liquidation_engine.planning.evaluate import Finding
from shared.logging import get_logger
from shared.pxe.client import Call, PxeClient
from shared.pxe.errors import PxeError, PxeInvalidInput, PxeReverted, PxeUnreachable

log = get_logger()

LAPSED = "Not sent: this engine's membership lease was not renewed in time"


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
class Ready:
    """A claimed attempt with its liquidate call and its authwit: what a bundle carries."""

    attempt: Attempt
    call: Call
    authwit: dict[str, Any]


@dataclass(frozen=True)
class Sent:
    """One transaction that went out (or may have), and the liquidations it carries."""

    attempts: tuple[Attempt, ...]
    tx_hash: str


@dataclass
class Burst:
    """What one send of several bundles collects: the records and sends under way, and what went out."""

    accepted_at: float | None  # when the price notification behind it arrived (the reaction latency)
    sending: list[asyncio.Task[None]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)

    async def settled(self) -> list[Sent]:
        await asyncio.gather(*self.sending)
        return self.sent


class Bundles:
    def __init__(self, outcomes: Outcomes, metrics: EngineMetrics, *, may_send: Callable[[], bool],
                 on_sent: Callable[[Sent], None]) -> None:
        self.outcomes, self.metrics = outcomes, metrics
        self.store = outcomes.store
        self.may_send = may_send  # this engine's membership is held: another engine has not taken over
        self.on_sent = on_sent

    async def prove(self, gateway: PxeClient, liquidator: str, items: list[Ready], burst: Burst) -> None:
        """Prove `items` as one transaction; its record and send start as a task of the burst, so the
        gateway proves the next bundle meanwhile."""
        if not items:
            return
        try:
            tx_hash = await gateway.prove_tx([i.call for i in items], [i.authwit for i in items], liquidator)
        except PxeReverted as exc:
            await self._reverted(gateway, liquidator, items, exc.reason, burst)
            return
        except PxeInvalidInput as exc:  # more calls than the entrypoint carries, or the PXE's store full
            if len(items) > 1:
                await self._refresh_limit(gateway)
                await self._halves(gateway, liquidator, items, burst)
            else:
                await self.not_sent(items, f"Not sent: the PXE refused the transaction ({exc})")
            return
        except Exception as exc:  # noqa: BLE001 - no hash came back: a proof nobody knows the hash of is never sent
            await self.not_sent(items, f"Not sent: pxe_proveTx failed ({_reason(exc)})")
            return
        before = burst.sending[-1] if burst.sending else None  # sends leave in the order proofs came back
        burst.sending.append(asyncio.create_task(self._record_and_send(gateway, items, tx_hash, burst, before)))

    async def _reverted(self, gateway: PxeClient, liquidator: str, items: list[Ready], reason: str, burst: Burst) -> None:
        if len(items) == 1 or reason in self.outcomes.price_mismatch:
            await self.not_sent(items, reason, cooldown=True)
            return
        self.metrics.bundle_reverts.inc()
        named = [i for i in items if i.attempt.plan.escrow in reason.lower()]
        if len(named) == 1:
            log.info("Liquidation bundle reverted", calls=len(items), reason=reason, culprit=named[0].attempt.plan.escrow)
            await self.not_sent(named, reason, cooldown=True)
            await self.prove(gateway, liquidator, [i for i in items if i is not named[0]], burst)
            return
        log.info("Liquidation bundle reverted", calls=len(items), reason=reason, culprit=None)
        await self._halves(gateway, liquidator, items, burst)

    async def _halves(self, gateway: PxeClient, liquidator: str, items: list[Ready], burst: Burst) -> None:
        half = (len(items) + 1) // 2
        await self.prove(gateway, liquidator, items[:half], burst)
        await self.prove(gateway, liquidator, items[half:], burst)

    async def _refresh_limit(self, gateway: PxeClient) -> None:
        try:
            await gateway.tx_limits(fresh=True)
        except PxeError as exc:
            log.warning("PXE call limit unreadable", error=_reason(exc))

    async def _record_and_send(self, gateway: PxeClient, items: list[Ready], tx_hash: str, burst: Burst,
                               before: asyncio.Task[None] | None) -> None:
        attempts = tuple(i.attempt for i in items)
        try:
            await asyncio.gather(*(self.store.set_tx_hash(a.attempt_id, tx_hash) for a in attempts))
        except Exception as exc:  # noqa: BLE001 - unrecorded, it must never go out
            log.error("Liquidation tx hash not recorded; not sent", txHash=tx_hash, escrows=len(items), error=repr(exc))
            await self.not_sent(items, "Not sent: its transaction hash could not be recorded", cooldown=False)
            return
        if before is not None:  # the more at risk first, even when its record took longer
            await asyncio.wait([before])
        if not self.may_send():  # the lease lapsed meanwhile: another engine may take these over
            await self.not_sent(items, LAPSED, cooldown=False, tx_hash=tx_hash)
            return
        try:
            await gateway.send_proven_tx(tx_hash)
        except (PxeReverted, PxeInvalidInput) as exc:  # the node refused it, or the PXE no longer keeps it
            await self.not_sent(items, f"Not sent: {_reason(exc)}", cooldown=isinstance(exc, PxeReverted), tx_hash=tx_hash)
            return
        except Exception as exc:  # noqa: BLE001 - it may have gone out: the recorded hash's receipt tells
            log.warning("Liquidation send unconfirmed; following its receipt", txHash=tx_hash, error=_reason(exc))
        self.metrics.tx_calls.observe(len(items))
        if burst.accepted_at is not None:
            latency = max(0.0, time.monotonic() - burst.accepted_at)
            for _ in items:
                self.metrics.reaction_latency.observe(latency)
        sent = Sent(attempts, tx_hash)
        burst.sent.append(sent)
        self.on_sent(sent)

    async def not_sent(self, items: list[Ready], error: str, cooldown: bool = True, tx_hash: str | None = None) -> None:
        for item in items:
            await self.fail(item.attempt, error, cooldown, tx_hash)

    async def fail(self, attempt: Attempt, error: str, cooldown: bool = True, tx_hash: str | None = None) -> None:
        try:
            await self.outcomes.failed(attempt.attempt_id, attempt.plan, error, cooldown=cooldown, tx_hash=tx_hash)
        except Exception as exc:  # noqa: BLE001 - the escrow must not stay locked
            log.error("Liquidation outcome not recorded", escrow=attempt.plan.escrow, error=repr(exc))
        finally:
            self.outcomes.release(attempt.plan, attempt.debt_token, reserved=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, PxeReverted):
        return exc.reason
    if isinstance(exc, PxeUnreachable):
        return str(exc) or "PXE unreachable"
    return str(exc) or type(exc).__name__
