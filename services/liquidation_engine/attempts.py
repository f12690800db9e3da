"""Liquidation attempts, persisted before anything is sent.

Crash safety: a row is written as `submitted` (no txHash) before the authwit and the proof; the
transaction's hash is written once it is proven and before it is sent (pxe_proveTx, then the hash,
then pxe_sendProvenTx: docs/pxe-jsonrpc.md), so nothing mined is ever unrecorded. After `kill -9`, a
`submitted` row with a txHash is followed to its receipt (`dropped` if it was never sent); one
without a txHash was never sent, so it is marked failed and its escrow is re-read before it is
tried again. Liquidations bundled in one transaction each keep their row, the hash shared.

Several engines on one database: an attempt is claimed by its insert (`claim`), which the database
refuses while another attempt for the escrow is in flight (a partial unique index) or while the
escrow cools down after a failure (`cool_until`, on the database's clock, set by whichever engine
failed). Each row names its engine; the in-flight rows of an engine whose membership lease ran out
are taken over (`adopt`) by one live engine, which resolves them as a restart does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy import BigInteger, ColumnElement, exists, func, insert, literal, literal_column, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite

from services.liquidation_engine.models import IN_FLIGHT, MIGRATIONS, LiquidationRow
from services.liquidation_engine.planning.budget import Plan
from shared.db import Database
from shared.leases import POSTGRES_NOW_MS, SQLITE_NOW_MS
from shared.migrations import upgrade

_TABLE = LiquidationRow.__table__
STATUSES = ("submitted", "unknown", "succeeded", "failed", "skipped")
INTERRUPTED_ERROR = (
    "Interrupted before the PXE returned a transaction hash; not resent. "
    "The escrow is re-read before it is tried again."
)


class AttemptStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time, instance: str | None = None) -> None:
        self.db = db
        self.instance = instance  # the engine claiming attempts (INSTANCE_ID); None in tools and tests
        self._clock = clock
        self._hashes: list[tuple[int, str, asyncio.Future[None]]] = []
        self._hash_writer: asyncio.Task[None] | None = None
        # Built once: constructing it costs more than the statement it sits in (`claim`).
        self._candidate_cooling = self._cooling(literal_column("candidate.escrow"))

    def now(self) -> int:
        return int(self._clock())

    async def init(self) -> None:
        await upgrade(self.db, MIGRATIONS)

    def db_now_ms(self) -> ColumnElement[int]:
        """Now on the database's clock (milliseconds), which every engine on it shares."""
        return literal_column(SQLITE_NOW_MS if self.db.is_sqlite else POSTGRES_NOW_MS)

    def _values(self, plan: Plan, status: str, error: str | None, now: int) -> dict[str, object]:
        return {
            "escrow": plan.escrow, "status": status, "health_factor": plan.health_factor, "repay_amount": str(plan.repay),
            "collateral_seized": str(plan.seized), "collateral_price": str(plan.collateral_price),
            "debt_price": str(plan.debt_price), "tx_hash": None, "error": error, "created_at": now, "updated_at": now,
            "engine": self.instance,
        }

    def _cooling(self, escrow: ColumnElement[str]) -> ColumnElement[bool]:
        """An unexpired cooldown on `escrow` with no success for it since (any engine's rows)."""
        # Core aliases: ORM ones cost milliseconds to build, on the path to the first send.
        row, later = _TABLE.alias("cooling"), _TABLE.alias("later")
        success_since = exists().where(later.c.escrow == row.c.escrow, later.c.id > row.c.id, later.c.status == "succeeded")
        return exists().where(row.c.escrow == escrow, row.c.cool_until > self.db_now_ms(), ~success_since)

    def _superseded(self, escrow: ColumnElement[str], known_block: ColumnElement[int]) -> ColumnElement[bool]:
        """A success on `escrow` mined after the block the claiming engine's view of it comes from."""
        done = _TABLE.alias("done")
        return exists().where(done.c.escrow == escrow, done.c.status == "succeeded",
                              func.coalesce(done.c.mined_block, 0) > known_block)

    async def claim(self, plans: list[Plan], known_blocks: list[int] | None = None) -> list[int | None]:
        """Insert `submitted` attempts as this engine's claim; None for each escrow the database refuses:
        one in flight already (any engine's), cooling down after a failure (any engine's), or, given the
        block each plan's position was read at (`known_blocks`), liquidated in a later block than that: a
        success is seen before the escrow is tried again (`superseded` tells those apart).

        One statement (INSERT ... SELECT ... WHERE NOT cooling ... ON CONFLICT DO NOTHING): it sits on the
        path to the first send, and a separate check would be a second round trip."""
        if not plans:
            return []
        now = self.now()
        table = _TABLE
        blocks = known_blocks if known_blocks is not None else [None] * len(plans)
        # Rows in escrow order: two engines claiming overlapping sets wait on each other in one order.
        rows = sorted(({**self._values(p, "submitted", None, now), "known_block": b} for p, b in zip(plans, blocks, strict=True)),
                      key=lambda v: str(v["escrow"]))
        columns = [c for c in rows[0] if c != "known_block"]
        selects = [select(*(literal(v[c], type_=table.c[c].type).label(c) for c in columns),
                          literal(v["known_block"], type_=BigInteger()).label("known_block")) for v in rows]
        candidate = (selects[0] if len(selects) == 1 else union_all(*selects)).subquery("candidate")
        allowed = ~self._candidate_cooling
        if known_blocks is not None:
            allowed = allowed & ~self._superseded(candidate.c.escrow, candidate.c.known_block)
        dialect_insert = sqlite.insert if self.db.is_sqlite else postgresql.insert
        statement = (dialect_insert(LiquidationRow)
                     .from_select(columns, select(*(candidate.c[c] for c in columns)).where(allowed))
                     .on_conflict_do_nothing().returning(LiquidationRow.id, LiquidationRow.escrow))
        async with self.db.transaction() as session:
            ids = {escrow: int(row_id) for row_id, escrow in (await session.execute(statement)).all()}
        return [ids.get(plan.escrow) for plan in plans]

    async def superseded(self, known: dict[str, int]) -> set[str]:
        """Of these escrows (with the block our view of each comes from), those liquidated since."""
        if not known:
            return set()
        row = LiquidationRow
        query = select(row.escrow, func.max(row.mined_block)).where(
            row.escrow.in_(list(known)), row.status == "succeeded").group_by(row.escrow)
        async with self.db.session() as session:
            found = (await session.execute(query)).all()
        return {escrow for escrow, block in found if (block or 0) > known[escrow]}

    async def add(self, plans: list[Plan], status: str = "submitted", errors: list[str | None] | None = None,
                  cool_for: list[float | None] | None = None) -> list[int]:
        """Insert several attempts in one transaction (one disk sync for a whole check); their ids in order.
        `cool_for`: each escrow's cooldown in seconds, from now on the database's clock."""
        if not plans:
            return []
        now = self.now()
        values = [self._values(p, status, errors[i] if errors else None, now) for i, p in enumerate(plans)]
        if cool_for is not None:
            async with self.db.session() as session:
                db_now = int((await session.execute(select(self.db_now_ms()))).scalar_one())
            for value, delay in zip(values, cool_for, strict=True):
                value["cool_until"] = None if delay is None else db_now + int(delay * 1000)
        # One attempt per escrow at a time, so the escrow tells the rows apart: that lets the database
        # return ids in any order (one multi-row INSERT) instead of one statement per row.
        if len({plan.escrow for plan in plans}) < len(plans):
            return [(await self.add([plan], status, [errors[i]] if errors else None,
                                    [cool_for[i]] if cool_for else None))[0] for i, plan in enumerate(plans)]
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

    async def finish(self, attempt_id: int, status: str, error: str | None = None, cool_for: float | None = None,
                     mined_block: int | None = None) -> None:
        """The attempt's final status; `cool_for`: the escrow's cooldown in seconds, for every engine;
        `mined_block`: the block a success was mined in."""
        cool_until = None if cool_for is None else self.db_now_ms() + int(cool_for * 1000)
        async with self.db.transaction() as session:
            await session.execute(
                update(LiquidationRow).where(LiquidationRow.id == attempt_id)
                .values(status=status, error=error, updated_at=self.now(), cool_until=cool_until, mined_block=mined_block)
            )

    async def unresolved(self) -> list[LiquidationRow]:
        """Attempts a process left in flight (`submitted`) or whose outcome is not known yet (`unknown`)."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(LiquidationRow).where(LiquidationRow.status.in_(IN_FLIGHT)).order_by(LiquidationRow.id)
            )
            return list(rows.scalars())

    async def adopt(self, live: set[str] | None, own: bool = False) -> list[LiquidationRow]:
        """Make ours the in-flight attempts of every engine not in `live` (None: of every other engine, and
        rows of no engine), and return them (`own`: with those already ours, as at a start). Each holder's
        rows move in one UPDATE that names it, so two engines adopting at once never both get a row."""
        row = LiquidationRow
        async with self.db.transaction() as session:
            holders = (await session.execute(select(row.engine).distinct().where(row.status.in_(IN_FLIGHT)))).scalars()
            ids: list[int] = []
            for holder in [h for h in holders if h != self.instance and (live is None or h not in live)]:
                whose = row.engine.is_(None) if holder is None else row.engine == holder
                moved = await session.execute(
                    update(row).where(whose, row.status.in_(IN_FLIGHT)).values(engine=self.instance)
                    .returning(row.id).execution_options(synchronize_session=False))
                ids += [int(i) for i in moved.scalars()]
            mine = (row.id.in_(ids) | (row.engine == self.instance)) if own else row.id.in_(ids)
            found = await session.execute(select(row).where(mine, row.status.in_(IN_FLIGHT)).order_by(row.id))
            return list(found.scalars())

    async def in_flight_by_engine(self) -> dict[str, int]:
        """How many attempts each engine holds in flight (rows of no engine under "")."""
        async with self.db.session() as session:
            rows = await session.execute(select(LiquidationRow.engine, func.count())
                                         .where(LiquidationRow.status.in_(IN_FLIGHT)).group_by(LiquidationRow.engine))
            return {engine or "": int(n) for engine, n in rows.all()}

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
