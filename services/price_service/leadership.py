"""Who pushes prices: of the price services sharing one database (and one updater key), one leads.

The leader holds the lease `price/leader` in the database and renews it every third of its time to
live (PRICE_LEASE_TTL, below PRICE_POLL_INTERVAL), and again before each push; the others stand by,
fetching quotes but never sending, and try to take the lease on the same schedule, so a leader
killed outright is replaced within TTL + TTL/3, less than one poll interval. A leader that cannot
renew (the database gone, another holder) stands down at once, by its own clock too: it counts its
lease from the moment it asked for it, so it never believes in a lease the database has let go.

Alone on SQLite there is no lease: the one service simply leads, as it always did.
"""

from __future__ import annotations

import time
from typing import Literal

from services.price_service.models import leases
from shared.db import Database
from shared.leases import Leases
from shared.logging import get_logger

log = get_logger()

LEADER_LEASE = "price/leader"
Role = Literal["leader", "standby"]


class Leadership:
    def __init__(self, db: Database, instance_id: str, ttl: float, shared: bool | None = None) -> None:
        self.instance_id = instance_id
        self.ttl = ttl
        self.shared = not db.is_sqlite if shared is None else shared  # replicas share a server database
        self._leases = Leases(db, leases, instance_id, round(ttl * 1000)) if self.shared else None
        self.role: Role = "leader" if self._leases is None else "standby"
        self.leader_id: str | None = instance_id if self._leases is None else None
        self._held_until = float("inf") if self._leases is None else float("-inf")  # monotonic

    @property
    def interval(self) -> float:
        """How often the lease is renewed by the leader and tried by a standby."""
        return self.ttl / 3

    @property
    def leading(self) -> bool:
        """True while this replica holds an unexpired lease, by its own clock (no database round trip)."""
        return self.role == "leader" and time.monotonic() < self._held_until

    async def renew(self) -> bool:
        """Take or renew the lease; whether this replica leads now. Any failure to renew is standing down."""
        if self._leases is None:
            return True
        asked = time.monotonic()
        try:
            held = await self._leases.take(LEADER_LEASE)
        except Exception as exc:  # noqa: BLE001 - the database is gone: without the lease, never send
            log.error("Price leader lease unreachable", error=repr(exc)[:300])
            held = False
        self._held_until = asked + self.ttl if held else float("-inf")
        self._become("leader" if held else "standby")
        if held:
            self.leader_id = self.instance_id
        else:
            self.leader_id = await self._holder()
        return held

    def _become(self, role: Role) -> None:
        if role != self.role and role == "leader":
            log.warning("Price leadership taken", instanceId=self.instance_id)
        elif role != self.role:
            log.warning("Price leadership lost", instanceId=self.instance_id)
        self.role = role

    async def _holder(self) -> str | None:
        assert self._leases is not None
        try:
            live = await self._leases.live(LEADER_LEASE)
        except Exception:  # noqa: BLE001 - display only
            return None
        return next((h.holder for h in live if h.name == LEADER_LEASE), None)

    async def release(self) -> None:
        """On a clean stop: the standby need not wait for the lease to run out."""
        if self._leases is None or self.role != "leader":
            return
        self.role, self._held_until = "standby", float("-inf")
        try:
            await self._leases.release(LEADER_LEASE)
        except Exception as exc:  # noqa: BLE001 - it runs out on its own
            log.warning("Price leader lease not released", error=repr(exc)[:300])
