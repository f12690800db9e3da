"""Liquidation attempts, persisted before anything is sent.

Crash safety: a row is written as `submitted` (no txHash) before the authwit and the send; the
txHash is written as soon as the PXE returns it. After `kill -9`, a `submitted` row with a txHash
is followed to its receipt; one without a txHash cannot be told apart from a send that never
happened, so it is marked failed and its escrow must be re-read before it can be tried again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy import func, insert, select, update

from services.liquidation_engine.models import MIGRATIONS, LiquidationRow
from services.liquidation_engine.planning.budget import Plan
from shared.db import Database
from shared.migrations import upgrade

STATUSES = ("submitted", "unknown", "succeeded", "failed", "skipped")
INTERRUPTED_ERROR = (
    "Interrupted before the PXE returned a transaction hash; not resent. "
    "The escrow is re-read before it is tried again."
)


class AttemptStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock
        self._hashes: list[tuple[int, str, asyncio.Future[None]]] = []
        self._hash_writer: asyncio.Task[None] | None = None

    def now(self) -> int:
        return int(self._clock())

    async def init(self) -> None:
        await upgrade(self.db, MIGRATIONS)

    def _values(self, plan: Plan, status: str, error: str | None, now: int) -> dict[str, object]:
        return {
            "escrow": plan.escrow, "status": status, "health_factor": plan.health_factor, "repay_amount": str(plan.repay),
            "collateral_seized": str(plan.seized), "collateral_price": str(plan.collateral_price),
            "debt_price": str(plan.debt_price), "tx_hash": None, "error": error, "created_at": now, "updated_at": now,
        }

    async def add(self, plans: list[Plan], status: str = "submitted", errors: list[str | None] | None = None) -> list[int]:
        """Insert several attempts in one transaction (one disk sync for a whole check); their ids in order."""
        if not plans:
            return []
        now = self.now()
        values = [self._values(p, status, errors[i] if errors else None, now) for i, p in enumerate(plans)]
        # One attempt per escrow at a time, so the escrow tells the rows apart: that lets the database
        # return ids in any order (one multi-row INSERT) instead of one statement per row.
        if len({plan.escrow for plan in plans}) < len(plans):
            return [(await self.add([plan], status, [errors[i]] if errors else None))[0] for i, plan in enumerate(plans)]
        async with self.db.transaction() as session:
            result = await session.execute(insert(LiquidationRow).returning(LiquidationRow.id, LiquidationRow.escrow), values)
            ids = {escrow: int(row_id) for row_id, escrow in result.all()}
        return [ids[plan.escrow] for plan in plans]

    async def set_tx_hash(self, attempt_id: int, tx_hash: str) -> None:
        """Durably record a sent transaction's hash. Hashes arriving together share one transaction."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._hashes.append((attempt_id, tx_hash, done))
        if self._hash_writer is None or self._hash_writer.done():
            self._hash_writer = asyncio.create_task(self._write_hashes(), name="attempt-hash-writer")
        await done

    async def _write_hashes(self) -> None:
        while self._hashes:
            batch, self._hashes = self._hashes, []
            now = self.now()
            try:
                async with self.db.transaction() as session:
                    await session.execute(
                        update(LiquidationRow), [{"id": i, "tx_hash": h, "updated_at": now} for i, h, _ in batch]
                    )
            except Exception as exc:
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _, _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def finish(self, attempt_id: int, status: str, error: str | None = None) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(LiquidationRow).where(LiquidationRow.id == attempt_id)
                .values(status=status, error=error, updated_at=self.now())
            )

    async def mark_unknown(self, attempt_id: int, error: str, collateral_before: int) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(LiquidationRow).where(LiquidationRow.id == attempt_id)
                .values(status="unknown", error=error, collateral_before=str(collateral_before), updated_at=self.now())
            )

    async def unresolved(self) -> list[LiquidationRow]:
        """Attempts a process left in flight (`submitted`) or whose outcome is not known yet (`unknown`)."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(LiquidationRow).where(LiquidationRow.status.in_(("submitted", "unknown"))).order_by(LiquidationRow.id)
            )
            return list(rows.scalars())

    async def recent(self, limit: int, status: str | None = None) -> list[LiquidationRow]:
        query = select(LiquidationRow).order_by(LiquidationRow.id.desc()).limit(limit)
        if status:
            query = query.where(LiquidationRow.status == status)
        async with self.db.session() as session:
            return list((await session.execute(query)).scalars())

    async def counts(self) -> dict[str, int]:
        async with self.db.session() as session:
            rows = await session.execute(select(LiquidationRow.status, func.count()).group_by(LiquidationRow.status))
            found = {status: int(n) for status, n in rows.all()}
        return {s: found.get(s, 0) for s in STATUSES}
