"""The note monitor: its parts wired in one place, its lifecycle, and what the HTTP API asks of it."""

from __future__ import annotations

import asyncio
from typing import Any

from services.note_monitor.escrows import Escrow
from services.note_monitor.metrics import MonitorMetrics
from services.note_monitor.models import leases
from services.note_monitor.positions import PositionIndex
from services.note_monitor.reader import EscrowReader, PxeReachability, PxeReads
from services.note_monitor.registry import EscrowRegistry
from services.note_monitor.settings import NoteMonitorSettings
from services.note_monitor.store import PositionStore
from services.note_monitor.sync import NoteSyncer, SyncReport
from shared.db import Database
from shared.health import CachedProbe, HealthReport, Status
from shared.leases import Membership
from shared.logging import get_logger
from shared.memory import freeze_long_lived, gc_paused
from shared.periodic import Periodic
from shared.positions import Position, RemovedPosition

log = get_logger()


class NoteMonitor:
    def __init__(self, settings: NoteMonitorSettings, pxe: PxeReads, owns_pxe: bool = False) -> None:
        self.settings = settings
        self.pxe = pxe
        self._owns_pxe = owns_pxe
        self.metrics = MonitorMetrics()
        self.db = Database(settings.database_url)
        self._pxe_probe = CachedProbe(pxe.status)
        self.index = PositionIndex()
        self.pxe_reachability = PxeReachability(on_change=self._pxe_changed)
        # Replicas on one database split the escrows: each syncs those it owns among the live monitors.
        self.membership = Membership(self.db, leases, "monitor", settings.instance_id, settings.member_ttl)
        shared = self.membership.shared
        self.registry = EscrowRegistry(PositionStore(self.db, shared), self.index, EscrowReader(pxe), self.pxe_reachability)
        self.syncer = NoteSyncer(self.registry, settings.sync_concurrency, self.metrics, settings.sync_batch_size,
                                 assign=self._assigned if shared else None)
        self.periodic = Periodic("note-sync", settings.sync_interval, self._sync)
        self.lease_loop = Periodic("monitor-lease", self.membership.interval, lambda _scheduled: self._renew())
        self._following = asyncio.Lock()
        if shared:
            self.registry.follow = self.follow
        self.metrics.escrows.set_function(lambda: len(self.registry.escrows))
        self.metrics.positions.set_function(lambda: len(self.index))

    def _pxe_changed(self, up: bool) -> None:
        self.metrics.pxe_up.set(1 if up else 0)
        self._pxe_probe.observe(up)

    async def start(self) -> None:
        store = self.registry.store
        await store.init()
        with gc_paused():  # a million objects made at once: the collector would walk them again and again
            snapshot = await store.load()
            self.registry.load(snapshot.escrows)
            self.index.load(snapshot.positions, snapshot.removals, snapshot.version)
            del snapshot
        freeze_long_lived()
        if self.membership.shared:
            await self.membership.renew()
            self.lease_loop.start(run_first=False)
        self.periodic.start(run_first=True)

    async def stop(self) -> None:
        await self.periodic.stop()
        await self.lease_loop.stop()
        await self.membership.release()  # the others take this monitor's escrows at their next sync
        if self._owns_pxe:
            close = getattr(self.pxe, "close", None)
            if close:
                await close()
        await self.db.close()

    # --- what the HTTP API asks ------------------------------------------------------------

    async def register(self, address: str, secret_key: str | None, instance: dict[str, Any] | None) -> Escrow:
        """EscrowExists, EscrowRejected (the PXE's reason) or PxeUnavailable when it cannot be registered."""
        return await self.registry.register(address, secret_key, instance)

    def escrows(self) -> list[Escrow]:
        return self.registry.listed()

    async def remove(self, address: str) -> Escrow:
        """EscrowNotFound for an escrow that is not registered."""
        return await self.registry.remove(address)

    def position(self, escrow: str) -> Position | None:
        return self.index.get(escrow)

    def positions_page(self, limit: int, offset: int, asset: str | None,
                       since_version: int | None) -> tuple[list[Position | RemovedPosition], int, int]:
        """A page of current positions (or of changes after `since_version`), how many in all, and the version."""
        version = self.index.version
        if since_version is None:
            page, total = self.index.page(limit, offset, asset)
            return list(page), total, version
        changes = self.index.since(since_version, asset)
        return changes[offset : offset + limit], len(changes), version

    def trigger_sync(self) -> None:
        self.periodic.trigger()

    # --- replicas on one database (issue 14) -------------------------------------------------

    def _assigned(self, escrows: list[Escrow]) -> list[Escrow]:
        return self.membership.mine(escrows, lambda e: e.address)

    async def _renew(self) -> None:
        if await self.membership.renew():
            self.periodic.trigger()  # a member left or joined: the escrows are assigned anew now

    async def follow(self) -> None:
        """Bring the index up to the database: what any monitor wrote after our version, applied in
        version order, and the version moved to the snapshot's counter (never past an unseen change)."""
        if not self.membership.shared:
            return
        async with self._following:
            if await self.registry.store.version() <= self.index.version:
                return  # the common case, before every read the engine makes: one small query
            changes = await self.registry.store.changes(self.index.version)
            if changes.version <= self.index.version:
                return
            escrows = {e.address: e for e in changes.escrows}
            entries: list[Position | RemovedPosition] = [*changes.positions, *changes.removals]
            entries.sort(key=lambda entry: entry.version)
            async with self.registry.write_lock:
                for entry in entries:
                    if isinstance(entry, Position):
                        self.registry.escrows.setdefault(entry.escrow, escrows[entry.escrow])
                        self.index.put(entry)
                    else:
                        self.registry.escrows.pop(entry.escrow, None)
                        self.index.remove(entry)
                self.index.version = max(self.index.version, changes.version)
                self.index.allocated = max(self.index.allocated, self.index.version)

    # --- the sync loop ----------------------------------------------------------------------

    async def _sync(self, _scheduled: bool) -> None:
        try:
            await self.follow()  # registrations and removals made through the other monitors
        except Exception as exc:  # noqa: BLE001 - the database: sync what is known, follow next time
            log.error("Monitor follow failed", error=repr(exc)[:300])
        await self.syncer.run()

    async def wait_for_sync(self, after: int, timeout: float = 30.0) -> SyncReport | None:
        """Wait until more than `after` syncs have finished (tests and benchmarks)."""
        await self.periodic.wait_for_run(after, timeout)
        return self.syncer.last

    @property
    def syncs_done(self) -> int:
        return self.periodic.runs

    async def sync_now(self) -> SyncReport | None:
        """Run a sync in the caller, never overlapping the periodic one."""
        await self.periodic.run_now()
        return self.syncer.last

    async def health(self) -> HealthReport:
        """Healthy only when the database answers, the PXE answers now, the last sync read every escrow,
        and no sync has been running for more than twice SYNC_INTERVAL (a frozen PXE stalls a sync)."""
        database_ok, pxe_live = await self.db.ping(), await self._pxe_probe()
        last = self.syncer.last
        running_for = self.periodic.running_for()
        sync_stuck = running_for > 2 * self.settings.sync_interval
        if not database_ok:
            status: Status = "unhealthy"
        elif not pxe_live or self.pxe_reachability.up is False or sync_stuck or (last is not None and last.failures > 0):
            status = "degraded"
        else:
            status = "healthy"
        return HealthReport(status, {
            "service": self.settings.service_name,
            "totalEscrows": len(self.registry.escrows),
            "totalPositions": len(self.index),
            "pxeConnected": pxe_live and self.pxe_reachability.up is not False,
            "lastSyncAt": last.finished_at if last else None,
            "lastSyncDurationMs": last.duration_ms if last else None,
            "instanceId": self.membership.instance_id,
            "members": self.membership.members,
            "syncedEscrows": last.escrows if last else None,
            "checks": {
                "database": database_ok, "pxe": pxe_live, "lastSyncFailures": last.failures if last else None,
                "syncRunningForMs": round(running_for * 1000) if running_for else None, "syncStuck": sync_stuck,
            },
        })
