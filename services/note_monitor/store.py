"""Persistence: everything is loaded at start; each change set is written in one transaction.

The stored version counter only ever moves up (`UPDATE ... WHERE value < v`), so a restart
never hands out a version that a reader has already seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.note_monitor import models
from services.note_monitor.domain import Escrow, intern
from shared.db import Database
from shared.positions import Position, RemovedPosition

CHUNK = 500  # keeps IN lists far below every database's bound-parameter limit


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
        "registered_at": e.registered_at,
    }


def _position_row(p: Position) -> dict[str, Any]:
    return {
        "escrow": p.escrow, "pool": p.pool, "collateral_asset": p.collateral_asset,
        "collateral_token": p.collateral_token, "collateral_amount": str(p.collateral_amount),
        "debt_asset": p.debt_asset, "debt_token": p.debt_token, "debt_principal": str(p.debt_principal),
        "debt_epoch": p.debt_epoch, "liquidation_threshold_bps": p.liquidation_threshold_bps,
        "synced_at": p.synced_at, "block_number": p.block_number, "version": p.version,
    }


def _position(row: Any) -> Position:
    return Position(
        escrow=row.escrow, pool=intern(row.pool), collateral_asset=intern(row.collateral_asset),
        collateral_token=intern(row.collateral_token), collateral_amount=int(row.collateral_amount),
        debt_asset=intern(row.debt_asset), debt_token=intern(row.debt_token), debt_principal=int(row.debt_principal),
        debt_epoch=row.debt_epoch, liquidation_threshold_bps=row.liquidation_threshold_bps,
        synced_at=row.synced_at, block_number=row.block_number, version=row.version,
    )


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class PositionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def init(self) -> None:
        await self.db.create_all(models.metadata)
        async with self.db.transaction() as s:
            found = await s.scalar(select(models.meta.c.value).where(models.meta.c.key == models.VERSION_KEY))
            if found is None:
                await s.execute(insert(models.meta).values(key=models.VERSION_KEY, value=0))

    async def load(self) -> Snapshot:
        async with self.db.session() as s:
            escrow_rows = (await s.execute(select(models.escrows))).all()
            position_rows = (await s.execute(select(models.positions))).all()
            removal_rows = (await s.execute(select(models.position_removals))).all()
            version = await s.scalar(select(models.meta.c.value).where(models.meta.c.key == models.VERSION_KEY))
        escrows = [
            Escrow(
                address=r.address, pool=intern(r.pool), collateral_token=intern(r.collateral_token),
                debt_token=intern(r.debt_token), collateral_asset=intern(r.collateral_asset),
                debt_asset=intern(r.debt_asset), liquidation_threshold_bps=r.liquidation_threshold_bps,
                has_secret_key=bool(r.has_secret_key), registered_at=r.registered_at,
            )
            for r in escrow_rows
        ]
        removals = [RemovedPosition(r.escrow, r.collateral_asset, r.debt_asset, r.version) for r in removal_rows]
        return Snapshot(escrows, [_position(r) for r in position_rows], removals, version or 0)

    async def save_registration(self, escrow: Escrow, position: Position, version: int) -> None:
        async with self.db.transaction() as s:
            await s.execute(insert(models.escrows).values(**_escrow_row(escrow)))
            await self._replace_positions(s, [position])
            await self._raise_version(s, version)

    async def save_registrations(self, pairs: Sequence[tuple[Escrow, Position]], version: int) -> None:
        """Many registrations in one transaction (imports, benchmarks)."""
        async with self.db.transaction() as s:
            for chunk in _chunks(pairs):
                await s.execute(insert(models.escrows), [_escrow_row(e) for e, _ in chunk])
            await self._replace_positions(s, [p for _, p in pairs])
            await self._raise_version(s, version)

    async def save_removal(self, removed: RemovedPosition, version: int) -> None:
        async with self.db.transaction() as s:
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

    async def save_sync(
        self, changed: Sequence[Position], refreshed: Sequence[str], synced_at: int, block_number: int, version: int
    ) -> None:
        """Changed positions in full; unchanged ones only get their new `syncedAt`/`blockNumber`."""
        async with self.db.transaction() as s:
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
            await s.execute(insert(models.positions), [_position_row(p) for p in chunk])

    async def _raise_version(self, s: AsyncSession, version: int) -> None:
        await s.execute(
            update(models.meta)
            .where(models.meta.c.key == models.VERSION_KEY, models.meta.c.value < version)
            .values(value=version)
        )
