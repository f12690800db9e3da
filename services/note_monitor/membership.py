"""Note monitors sharing one database split the escrows between them (issue 14).

Each monitor holds the membership lease `monitor/<INSTANCE_ID>` (SYNC_MEMBER_TTL, renewed every third
of it). An escrow is synced by the live member whose sha256(member|escrow) is highest (rendezvous
hashing): every member computes the same owner from the same member list, and when a member's lease
runs out only its escrows move, to the others, at their next sync. A book too large for one PXE's
simulation speed is so spread over several PXEs (PXE_URL per monitor).

Alone on SQLite there are no leases: the one monitor syncs every escrow, as it always did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from services.note_monitor import models
from shared.db import Database
from shared.leases import Leases, owner
from shared.logging import get_logger

log = get_logger()

PREFIX = "monitor/"
T = TypeVar("T")


class Membership:
    def __init__(self, db: Database, instance_id: str, ttl: float, shared: bool | None = None) -> None:
        self.instance_id = instance_id
        self.ttl = ttl
        self.shared = not db.is_sqlite if shared is None else shared
        self._leases = Leases(db, models.leases, instance_id, round(ttl * 1000)) if self.shared else None
        self.members: list[str] = [instance_id]

    @property
    def name(self) -> str:
        return PREFIX + self.instance_id

    @property
    def interval(self) -> float:
        return self.ttl / 3

    async def renew(self) -> bool:
        """Renew this member's lease and read who else is alive; True when the members changed."""
        if self._leases is None:
            return False
        try:
            await self._leases.take(self.name)
            live = sorted({h.holder for h in await self._leases.live(PREFIX)} | {self.instance_id})
        except Exception as exc:  # noqa: BLE001 - the last known members stand until the database answers
            log.error("Monitor membership lease unreachable", error=repr(exc)[:300])
            return False
        changed, self.members = live != self.members, live
        if changed:
            log.warning("Monitor members changed", members=live, instanceId=self.instance_id)
        return changed

    def mine(self, escrows: list[T], address: Callable[[T], str]) -> list[T]:
        """The escrows this member syncs."""
        if len(self.members) == 1:
            return escrows
        me, members = self.instance_id, self.members
        return [e for e in escrows if owner(members, address(e)) == me]

    async def release(self) -> None:
        if self._leases is not None:
            try:
                await self._leases.release(self.name)
            except Exception as exc:  # noqa: BLE001 - it runs out on its own
                log.warning("Monitor membership lease not released", error=repr(exc)[:300])
