"""Leases in the shared database: who leads, who is alive, who holds what, for the three replica roles.

A lease is a row (name, holder, expires_at). Taking one succeeds when it is free, expired, or
already ours; holding it means renewing it before it expires. Time is the database's clock, so
replicas on machines whose clocks disagree still agree on when a lease has run out.

The roles have one shape (`ReplicaLease`): built from the database, the service's lease table, this
replica's INSTANCE_ID and the time to live; renewed by the service's own loop every `interval` (a third
of the TTL); `held()` by this replica's own clock, counted from when it asked, so it never believes in a
lease the database has let go; `release()` on a clean stop. `Leadership` is one lease only one replica
holds (the price service's leader); `Membership` is a lease per live replica, and the keys of the work
split between the members by rendezvous hashing (note monitors' escrows, engines' shares of a burst).
Alone on SQLite nothing is shared: the one replica leads, is the only member, and holds always.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

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
from shared.logging import get_logger

log = get_logger()
T = TypeVar("T")

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


class ReplicaLease:
    """The shape every replica role shares; see the module's text."""

    def __init__(self, db: Database, table: Table, instance_id: str, ttl: float, *, shared: bool | None = None) -> None:
        self.instance_id, self.ttl = instance_id, ttl
        self.shared = not db.is_sqlite if shared is None else shared
        self.leases = Leases(db, table, instance_id, round(ttl * 1000))
        self._held_until = float("-inf")  # monotonic

    @property
    def interval(self) -> float:
        return self.ttl / 3

    def held(self) -> bool:
        return not self.shared or time.monotonic() < self._held_until

    async def _take(self, name: str, margin: float = 1.0) -> bool | None:
        """Take or renew `name`: True, False while another holds it, None when the database did not answer
        (then nothing is held). Held until `margin` of the TTL from when we asked, by our own clock."""
        asked = time.monotonic()
        try:
            taken: bool | None = await self.leases.take(name)
        except Exception as exc:  # noqa: BLE001 - the database is away: without the lease, hold nothing
            log.error("Replica lease unreachable", lease=name, instanceId=self.instance_id, error=repr(exc)[:300])
            taken = None
        self._held_until = asked + self.ttl * margin if taken else float("-inf")
        return taken

    async def _release(self, name: str) -> None:
        self._held_until = float("-inf")
        try:
            await self.leases.release(name)
        except Exception as exc:  # noqa: BLE001 - it runs out on its own
            log.warning("Replica lease not released", lease=name, instanceId=self.instance_id, error=repr(exc)[:300])


class Leadership(ReplicaLease):
    """One replica leads by holding `name`; the others stand by and try on the same schedule."""

    def __init__(self, db: Database, table: Table, name: str, instance_id: str, ttl: float, *,
                 shared: bool | None = None) -> None:
        super().__init__(db, table, instance_id, ttl, shared=shared)
        self.name = name
        self.role: Literal["leader", "standby"] = "standby" if self.shared else "leader"
        self.leader_id: str | None = None if self.shared else instance_id

    @property
    def leading(self) -> bool:
        return self.role == "leader" and self.held()

    async def renew(self) -> bool:
        """Take or renew the lease; whether this replica leads now."""
        if not self.shared:
            return True
        held = bool(await self._take(self.name))
        role: Literal["leader", "standby"] = "leader" if held else "standby"
        if role != self.role and held:
            log.warning("Price leadership taken", instanceId=self.instance_id)
        elif role != self.role:
            log.warning("Price leadership lost", instanceId=self.instance_id)
        self.role = role
        self.leader_id = self.instance_id if held else await self._holder()
        return held

    async def _holder(self) -> str | None:
        try:
            live = await self.leases.live(self.name)
        except Exception:  # noqa: BLE001 - display only
            return None
        return next((h.holder for h in live if h.name == self.name), None)

    async def release(self) -> None:
        """On a clean stop: the standby need not wait for the lease to run out."""
        if self.shared and self.role == "leader":
            self.role = "standby"
            await self._release(self.name)


class Membership(ReplicaLease):
    """Each live replica of a role holds `<role>/<INSTANCE_ID>`; work is split between the members."""

    def __init__(self, db: Database, table: Table, role: str, instance_id: str, ttl: float, *,
                 shared: bool | None = None, hold_fraction: float = 1.0) -> None:
        super().__init__(db, table, instance_id, ttl, shared=shared)
        self.prefix = f"{role}/"
        self.hold_fraction = hold_fraction  # holding ends this far into an unrenewed lease: a margin for work under way
        self.members: list[str] = [instance_id]
        self.expiries: dict[str, int] = {instance_id: round(ttl * 1000)}  # live members, milliseconds left

    async def renew(self) -> bool:
        """Renew this member's lease and read who is live; True when the members changed."""
        if not self.shared:
            return False
        taken = await self._take(self.prefix + self.instance_id, self.hold_fraction)
        if taken is False:
            log.error("Replica instance id in use", role=self.prefix[:-1], instanceId=self.instance_id)
        if not taken:
            return False
        try:
            live = {h.name.removeprefix(self.prefix): h.expires_in_ms for h in await self.leases.live(self.prefix)}
        except Exception as exc:  # noqa: BLE001 - the last known members stand until the database answers
            log.error("Replica members unreadable", role=self.prefix[:-1], error=repr(exc)[:300])
            return False
        self.expiries = live
        members = sorted(set(live) | {self.instance_id})
        changed, self.members = members != self.members, members
        if changed:
            log.warning("Replica members changed", role=self.prefix[:-1], members=members, instanceId=self.instance_id)
        return changed

    def owns(self, key: str) -> bool:
        """Whether this member owns `key` among the live members."""
        return len(self.members) < 2 or owner(self.members, key) == self.instance_id

    def mine(self, items: list[T], key: Callable[[T], str]) -> list[T]:
        """The items this member owns."""
        if len(self.members) < 2:
            return items
        me, members = self.instance_id, self.members
        return [item for item in items if owner(members, key(item)) == me]

    async def release(self) -> None:
        """On a clean stop: the others take this member's work at their next round."""
        if self.shared:
            await self._release(self.prefix + self.instance_id)
