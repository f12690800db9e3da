"""Engines sharing one database: taking over the in-flight attempts of engines that stopped.

Each engine is a member (shared/leases.py `Membership`, role `engine`, ENGINE_LEASE_TTL, renewed
every third of it by the service's loop). An engine that cannot renew stops claiming attempts before
its lease can run out (`HOLD_FRACTION`), so the attempts it holds are never taken over while it may
still send them. Once an engine's lease has run out (kill -9, a lost machine) or been released (a
clean stop), one live engine takes its in-flight attempts over and resolves them from their receipts,
as a restart does.

On SQLite (one machine, one engine per database file) a start takes over every attempt left in flight
and nothing is adopted later.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from services.liquidation_engine.attempts import AttemptStore
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.models import LiquidationRow
from shared.leases import Membership
from shared.logging import get_logger

log = get_logger()

HOLD_FRACTION = 0.8  # claims stop this far into a lease not renewed since: a margin for the last sends


class Takeover:
    def __init__(self, store: AttemptStore, membership: Membership, metrics: EngineMetrics,
                 on_adopted: Callable[[list[LiquidationRow]], Awaitable[object]]) -> None:
        self.store, self.membership, self.metrics, self.on_adopted = store, membership, metrics, on_adopted
        self.view: list[dict[str, object]] = []  # engines and what they hold, as of the last round

    async def at_start(self) -> list[LiquidationRow]:
        """Attempts to resolve at start: ours (a restart with the same INSTANCE_ID) and those of engines
        no longer live; on SQLite every attempt left in flight."""
        m = self.membership
        live = set(m.members) | {m.instance_id} if m.shared else None
        return await self.store.adopt(live, own=True)

    async def round(self) -> None:
        """Renew, learn who is live, take over the attempts of engines that are not, publish the gauges."""
        m = self.membership
        await m.renew()
        live = m.expiries if m.shared else {m.instance_id: round(m.ttl * 1000)}
        self.metrics.live_engines.set(len(live))
        if m.shared and m.held():
            adopted = await self.store.adopt(set(live) | {m.instance_id})
            if adopted:
                self.metrics.attempts_adopted.inc(len(adopted))
                log.warning("Liquidations of a stopped engine taken over", instance=m.instance_id,
                            fromEngines=sorted({row.engine or "" for row in adopted}), attempts=len(adopted))
                await self.on_adopted(adopted)
        in_flight = await self.store.in_flight_by_engine()
        self.metrics.in_flight_attempts.clear()
        for engine, count in in_flight.items():
            self.metrics.in_flight_attempts.labels(engine).set(count)
        self.view = [{"instance": name, "live": name in live, "leaseExpiresInMs": live.get(name),
                      "inFlight": in_flight.get(name, 0)} for name in sorted(set(live) | set(in_flight))]

    def engines(self) -> list[dict[str, object]]:
        """For /health: every live engine and every engine holding attempts, with what it holds, as of the
        last round (every third of the lease): a health call never queries the database for it."""
        return self.view
