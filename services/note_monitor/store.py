"""Persistence: everything is loaded at start; each change set is written in one transaction.

The stored version counter only ever moves up (`UPDATE ... WHERE value < v`), so a restart
never hands out a version that a reader has already seen.

Shared by replicas (PostgreSQL, issue 14), versions are allocated in the database instead, in the
transaction that writes them (`UPDATE ... SET value = value + n RETURNING`): the counter's row lock
orders the writers, so versions become visible in commit order, and a snapshot holding counter C
holds every change up to C. Replicas follow each other by reading, in one snapshot, what changed
after the version they have (`changes`).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.note_monitor import models
from services.note_monitor.escrows import Escrow
from shared.db import Database
from shared.interning import int_pool
from shared.migrations import upgrade
from shared.positions import Position, RemovedPosition

CHUNK = 500  # keeps IN lists far below every database's bound-parameter limit
LOAD_PARTITION = 10_000  # rows fetched at a time at start


@dataclass
class Snapshot:
    escrows: list[Escrow]
    positions: list[Position]
    removals: list[RemovedPosition]
    version: int


def _escrow_row(e: Escrow) -> dict[str, Any]:
    return {
        "address": e.address, "pool": e.pool, "collateral_token": e.collateral_token, "debt_token": e.debt_token,
        "collateral_asset": e.collateral_asset, "debt_asset": e.debt_asset,
        "liquidation_threshold_bps": e.liquidation_threshold_bps, "has_secret_key": e.has_secret_key,
        "registered_at": e.registered_at, "owner": e.owner, "gateway": e.gateway,
    }


def _registered(rows: Sequence[Any], escrows: list[Escrow], positions: list[Position]) -> None:
    """Rows of escrows joined to their positions: the escrow's columns in its record's field order,
    then the position's own; the values many rows repeat are held once."""
    text, ints = sys.intern, int_pool()
    for address, pool, c_token, d_token, c_asset, d_asset, bps, has_key, registered_at, owner, gateway, *notes in rows:
        escrow = Escrow(address, text(pool), text(c_token), text(d_token), text(c_asset), text(d_asset),
                        ints.setdefault(bps, bps), bool(has_key), ints.setdefault(registered_at, registered_at),
                        owner, text(gateway) if gateway else None)
        escrows.append(escrow)
        c_amount, d_principal, epoch, synced, block, version = notes
        if version is not None:
            positions.append(escrow.position(int(c_amount), int(d_principal), ints.setdefault(epoch, epoch),
                                             ints.setdefault(synced, synced), ints.setdefault(block, block), version))


async def _partitions(s: AsyncSession, query: Any) -> AsyncIterator[Sequence[Any]]:
    result = await s.stream(query)
    async for partition in result.partitions(LOAD_PARTITION):
        yield partition


async def _counter(s: AsyncSession) -> int | None:
    return await s.scalar(select(models.meta.c.value).where(models.meta.c.key == models.VERSION_KEY))


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class PositionStore:
    def __init__(self, db: Database, shared: bool = False) -> None:
        self.db = db
        self.shared = shared  # replicas on one database: versions allocated there (see the module's text)

    @asynccontextmanager
    async def _snapshot(self) -> AsyncIterator[AsyncSession]:
        """One consistent view for a whole read: the counter and every row up to it (shared)."""
        if not self.shared:
            async with self.db.session() as s:
                yield s
            return
        async with self.db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with AsyncSession(bind=conn) as s, s.begin():
                yield s

    async def init(self) -> None:
        await upgrade(self.db, models.MIGRATIONS)
        async with self.db.transaction() as s:
            found = await _counter(s)
            if found is None:
                await s.execute(insert(models.meta).values(key=models.VERSION_KEY, value=0))

    async def load(self) -> Snapshot:
        """Streamed in partitions: a million rows never sit in memory at once beside what they become."""
        e, p = models.escrows.c, models.positions.c
        joined = (select(*models.escrows.c, p.collateral_amount, p.debt_principal, p.debt_epoch, p.synced_at,
                         p.block_number, p.version)
                  .select_from(models.escrows.outerjoin(models.positions, p.escrow == e.address)))
        escrows: list[Escrow] = []
        positions: list[Position] = []
        async with self._snapshot() as s:
            async for rows in _partitions(s, joined):
                _registered(rows, escrows, positions)
            removals = [RemovedPosition(r.escrow, r.collateral_asset, r.debt_asset, r.version)
                        async for rows in _partitions(s, select(models.position_removals)) for r in rows]
            version = await _counter(s)
        return Snapshot(escrows, positions, removals, version or 0)

    async def version(self) -> int:
        """The stored version counter: one small read, to tell whether anything changed at all."""
        async with self.db.session() as s:
            return await _counter(s) or 0

    async def changes(self, since: int) -> Snapshot:
        """What replicas changed after `since`: registered escrows with their changed positions, and
        removals, all up to the counter of the same snapshot (its `version`)."""
        e, p = models.escrows.c, models.positions.c
        joined = (select(*models.escrows.c, p.collateral_amount, p.debt_principal, p.debt_epoch, p.synced_at,
                         p.block_number, p.version)
                  .select_from(models.escrows.join(models.positions, p.escrow == e.address))
                  .where(p.version > since).order_by(p.version))
        escrows: list[Escrow] = []
        positions: list[Position] = []
        async with self._snapshot() as s:
            version = await _counter(s)
            _registered((await s.execute(joined)).all(), escrows, positions)
            r = models.position_removals.c
            removed = (await s.execute(select(models.position_removals).where(r.version > since))).all()
        removals = [RemovedPosition(x.escrow, x.collateral_asset, x.debt_asset, x.version) for x in removed]
        return Snapshot(escrows, positions, removals, version or 0)

    async def _allocate(self, s: AsyncSession, entries: Sequence[Position]) -> None:
        """Shared: the next versions, taken in this transaction, written into the positions in order."""
        if not self.shared or not entries:
            return
        meta = models.meta
        top = await s.scalar(update(meta).where(meta.c.key == models.VERSION_KEY)
                             .values(value=meta.c.value + len(entries)).returning(meta.c.value))
        for offset, position in enumerate(entries, start=int(top or 0) - len(entries) + 1):
            position.version = offset

    async def save_registration(self, escrow: Escrow, position: Position, version: int) -> None:
        async with self.db.transaction() as s:
            await self._allocate(s, [position])
            await s.execute(insert(models.escrows).values(**_escrow_row(escrow)))
            await self._replace_positions(s, [position])
            await self._raise_version(s, version)

    async def save_registrations(self, pairs: Sequence[tuple[Escrow, Position]], version: int) -> None:
        """Many registrations in one transaction (imports, benchmarks)."""
        async with self.db.transaction() as s:
            await self._allocate(s, [p for _, p in pairs])
            for chunk in _chunks(pairs):
                await s.execute(insert(models.escrows), [_escrow_row(e) for e, _ in chunk])
            await self._replace_positions(s, [p for _, p in pairs])
            await self._raise_version(s, version)

    async def save_removal(self, removed: RemovedPosition, version: int) -> RemovedPosition:
        """The removal as stored (shared: with the version the database gave it)."""
        async with self.db.transaction() as s:
            if self.shared:
                meta = models.meta
                top = await s.scalar(update(meta).where(meta.c.key == models.VERSION_KEY)
                                     .values(value=meta.c.value + 1).returning(meta.c.value))
                removed = dataclasses.replace(removed, version=int(top or 0))
            await s.execute(delete(models.escrows).where(models.escrows.c.address == removed.escrow))
            await s.execute(delete(models.positions).where(models.positions.c.escrow == removed.escrow))
            await s.execute(delete(models.position_removals).where(models.position_removals.c.escrow == removed.escrow))
            await s.execute(
                insert(models.position_removals).values(
                    escrow=removed.escrow, collateral_asset=removed.collateral_asset,
                    debt_asset=removed.debt_asset, version=removed.version,
                )
            )
            await self._raise_version(s, version)
        return removed

    async def save_sync(
        self, changed: Sequence[Position], refreshed: Sequence[str], synced_at: int, block_number: int, version: int
    ) -> None:
        """Changed positions in full; unchanged ones only get their new `syncedAt`/`blockNumber`."""
        async with self.db.transaction() as s:
            await self._allocate(s, changed)
            await self._replace_positions(s, changed)
            if refreshed:
                stmt = (
                    update(models.positions)
                    .where(models.positions.c.escrow == bindparam("key"))
                    .values(synced_at=synced_at, block_number=block_number)
                )
                await s.execute(stmt, [{"key": e} for e in refreshed])
            await self._raise_version(s, version)

    async def _replace_positions(self, s: AsyncSession, changed: Sequence[Position]) -> None:
        for chunk in _chunks(changed):
            keys = [p.escrow for p in chunk]
            await s.execute(delete(models.positions).where(models.positions.c.escrow.in_(keys)))
            await s.execute(delete(models.position_removals).where(models.position_removals.c.escrow.in_(keys)))
            await s.execute(insert(models.positions), [p.to_row() for p in chunk])

    async def _raise_version(self, s: AsyncSession, version: int) -> None:
        if self.shared:
            return  # allocated in the transaction already
        await s.execute(
            update(models.meta)
            .where(models.meta.c.key == models.VERSION_KEY, models.meta.c.value < version)
            .values(value=version)
        )
