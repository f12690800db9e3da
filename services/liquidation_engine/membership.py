"""Engines sharing one database: this engine's membership, its share of the book, and the in-flight
attempts of engines that stopped.

Each engine holds a lease `engine/<INSTANCE_ID>` (shared/leases.py, the database's clock), renewed
every third of ENGINE_LEASE_TTL. An engine that cannot renew stops claiming attempts before its lease
can run out, so the attempts it holds are never taken over while it may still send them. Once an
engine's lease has run out (kill -9, a lost machine) or been released (a clean stop), one live engine
takes its in-flight attempts over and resolves them from their receipts, as a restart does.

On SQLite (one machine, one engine per database file) a start takes over every attempt left in flight
and nothing is adopted later.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from services.liquidation_engine.attempts import AttemptStore
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.models import LiquidationRow, leases
from shared.leases import Leases, owner
from shared.logging import get_logger
from shared.periodic import Periodic

log = get_logger()

PREFIX = "engine/"
HOLD_FRACTION = 0.8  # claims stop this far into a lease not renewed since: a margin for the last sends


class Membership:
    def __init__(self, store: AttemptStore, instance: str, ttl: float, metrics: EngineMetrics, *, shared: bool,
                 on_adopted: Callable[[list[LiquidationRow]], Awaitable[object]]) -> None:
        self.store, self.instance, self.ttl, self.metrics, self.shared = store, instance, ttl, metrics, shared
        self.leases = Leases(store.db, leases, instance, int(ttl * 1000))
        self.on_adopted = on_adopted
        self.loop = Periodic("engine-membership", ttl / 3, self._tick)
        self._held_until = 0.0
        self._live: list[str] = [instance]
        self.view: list[dict[str, object]] = []  # engines and what they hold, as of the last round

    @property
    def name(self) -> str:
        return PREFIX + self.instance

    def held(self) -> bool:
        """Whether this engine may claim attempts now (always on SQLite)."""
        return not self.shared or time.monotonic() < self._held_until

    def ours(self, escrow: str) -> bool:
        """Whether the escrow is in this engine's share: each live engine claims its own share first, so
        a burst is spread over the engines; the others' shares follow, in case an engine is gone."""
        return len(self._live) < 2 or owner(self._live, escrow) == self.instance

    async def renew(self) -> bool:
        started = time.monotonic()
        try:
            taken = await self.leases.take(self.name)
        except Exception as exc:  # noqa: BLE001 - the database away: claims stop when the lease would end
            log.error("Engine membership not renewed", instance=self.instance, error=repr(exc))
            return False
        if taken:
            self._held_until = started + self.ttl * HOLD_FRACTION
        else:
            log.error("Engine instance id in use by another live engine", instance=self.instance)
        return taken

    async def live(self) -> dict[str, int]:
        """Live engines and the milliseconds left on their leases."""
        return {h.name.removeprefix(PREFIX): h.expires_in_ms for h in await self.leases.live(PREFIX)}

    async def take_over_at_start(self) -> list[LiquidationRow]:
        """Attempts to resolve at start: ours (a restart with the same INSTANCE_ID) and those of engines
        no longer live; on SQLite every attempt left in flight."""
        live = set(await self.live()) | {self.instance} if self.shared else None
        return await self.store.adopt(live, own=True)

    async def tick(self) -> None:
        """Renew, learn who is live, take over the attempts of engines that are not, publish the gauges."""
        await self.renew()
        live = await self.live()
        self._live = sorted(live) if self.instance in live else [self.instance]
        self.metrics.live_engines.set(len(live))
        if self.shared and self.held():
            adopted = await self.store.adopt(set(live) | {self.instance})
            if adopted:
                self.metrics.attempts_adopted.inc(len(adopted))
                log.warning("Liquidations of a stopped engine taken over", instance=self.instance,
                            fromEngines=sorted({row.engine or "" for row in adopted}), attempts=len(adopted))
                await self.on_adopted(adopted)
        in_flight = await self.store.in_flight_by_engine()
        self.publish(in_flight)
        self.view = [{"instance": name, "live": name in live, "leaseExpiresInMs": live.get(name),
                      "inFlight": in_flight.get(name, 0)} for name in sorted(set(live) | set(in_flight))]

    async def _tick(self, scheduled: bool) -> None:
        try:
            await self.tick()
        except Exception as exc:  # one failed round must never end the loop
            log.error("Engine membership check failed", error=repr(exc))

    def publish(self, in_flight: dict[str, int]) -> None:
        self.metrics.in_flight_attempts.clear()
        for engine, count in in_flight.items():
            self.metrics.in_flight_attempts.labels(engine).set(count)

    def engines(self) -> list[dict[str, object]]:
        """For /health: every live engine and every engine holding attempts, with what it holds, as of the
        last membership round (every third of the lease): a health call never queries the database for it."""
        return self.view

    async def stop(self) -> None:
        """A clean stop lets the lease go at once: another engine takes over what is still in flight."""
        await self.loop.stop()
        try:
            await self.leases.release(self.name)
        except Exception as exc:  # noqa: BLE001 - it will expire
            log.warning("Engine membership not released", error=repr(exc))
