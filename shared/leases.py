"""Leases in the shared database: who leads, who is alive, who holds what.

A lease is a row (name, holder, expires_at). Taking one succeeds when it is free, expired, or
already ours; holding it means renewing it before it expires. Time is the database's clock, so
replicas on machines whose clocks disagree still agree on when a lease has run out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    MetaData,
    String,
    Table,
    delete,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from shared.db import Database

SQLITE_NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
POSTGRES_NOW_MS = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"


def owner(members: Iterable[str], key: str) -> str:
    """The live member that owns `key` (rendezvous hashing: the highest sha256(member|key)). Every member
    computes the same owner from the same member list; when a member leaves, only its keys move."""
    return max(members, key=lambda m: hashlib.sha256(f"{m}|{key}".encode()).digest())


def lease_table(metadata: MetaData, name: str) -> Table:
    """Each service has its own table of leases, so services can share one database."""
    return Table(
        name,
        metadata,
        Column("name", String(160), primary_key=True),
        Column("holder", String(128), nullable=False),
        Column("expires_at", BigInteger, nullable=False),  # milliseconds, the database's clock
    )


@dataclass(frozen=True)
class Holding:
    name: str
    holder: str
    expires_in_ms: int


class Leases:
    def __init__(self, db: Database, table: Table, holder: str, ttl_ms: int) -> None:
        self.db, self.table, self.holder, self.ttl_ms = db, table, holder, ttl_ms

    def now_ms(self) -> ColumnElement[int]:
        return literal_column(SQLITE_NOW_MS if self.db.is_sqlite else POSTGRES_NOW_MS)

    async def take(self, name: str) -> bool:
        """Take or renew `name` for one time-to-live; False while another holder's lease runs."""
        t, now = self.table, self.now_ms()
        async with self.db.transaction() as s:
            taken = await s.execute(
                update(t).where(t.c.name == name, or_(t.c.holder == self.holder, t.c.expires_at <= now))
                .values(holder=self.holder, expires_at=now + self.ttl_ms)
            )
            if taken.rowcount:  # type: ignore[attr-defined]
                return True
        try:
            async with self.db.transaction() as s:
                await s.execute(insert(t).values(name=name, holder=self.holder, expires_at=now + self.ttl_ms))
            return True
        except IntegrityError:  # another replica created it first
            return False

    async def release(self, name: str) -> None:
        """Let the lease go at once (a clean stop), so a standby need not wait for it to expire."""
        t = self.table
        async with self.db.transaction() as s:
            await s.execute(delete(t).where(t.c.name == name, t.c.holder == self.holder))

    async def live(self, prefix: str = "") -> list[Holding]:
        """Unexpired leases whose name starts with `prefix`, by name."""
        t, now = self.table, self.now_ms()
        query = (select(t.c.name, t.c.holder, (t.c.expires_at - now).label("left"))
                 .where(t.c.expires_at > now, t.c.name.startswith(prefix, autoescape=True)).order_by(t.c.name))
        async with self.db.session() as s:
            rows = (await s.execute(query)).all()
        return [Holding(name, holder, int(left)) for name, holder, left in rows]
