"""The note-monitor Lifecycle: storage, PXE link, registry and the periodic sync."""

from __future__ import annotations

import asyncio

from services.note_monitor.metrics import MonitorMetrics
from services.note_monitor.positions import PositionIndex
from services.note_monitor.reader import EscrowReader, PxeLink, PxeReads
from services.note_monitor.registry import EscrowRegistry
from services.note_monitor.settings import NoteMonitorSettings
from services.note_monitor.store import PositionStore
from services.note_monitor.sync import NoteSyncer, SyncReport
from shared.db import Database
from shared.periodic import Periodic


class NoteMonitor:
    def __init__(self, settings: NoteMonitorSettings, pxe: PxeReads, owns_pxe: bool = False) -> None:
        self.settings = settings
        self.pxe = pxe
        self._owns_pxe = owns_pxe
        self.metrics = MonitorMetrics()
        self.db = Database(settings.database_url)
        self.index = PositionIndex()
        self.link = PxeLink(on_change=lambda up: self.metrics.pxe_up.set(1 if up else 0))
        self.registry = EscrowRegistry(PositionStore(self.db), self.index, EscrowReader(pxe), self.link)
        self.syncer = NoteSyncer(self.registry, settings.sync_concurrency, self.metrics)
        self.periodic = Periodic("note-sync", settings.sync_interval, self._sync)
        self.syncs_done = 0
        self._synced = asyncio.Condition()
        self.metrics.escrows.set_function(lambda: len(self.registry.escrows))
        self.metrics.positions.set_function(lambda: len(self.index))

    async def start(self) -> None:
        store = self.registry.store
        await store.init()
        snapshot = await store.load()
        self.registry.load(snapshot.escrows)
        self.index.load(snapshot.positions, snapshot.removals, snapshot.version)
        self.periodic.start(run_first=True)

    async def stop(self) -> None:
        await self.periodic.stop()
        if self._owns_pxe:
            close = getattr(self.pxe, "close", None)
            if close:
                await close()
        await self.db.close()

    def trigger_sync(self) -> None:
        self.periodic.trigger()

    async def _sync(self) -> None:
        try:
            await self.syncer.run()
        finally:
            async with self._synced:
                self.syncs_done += 1
                self._synced.notify_all()

    async def wait_for_sync(self, after: int, timeout: float = 30.0) -> SyncReport | None:
        """Wait until more than `after` syncs have finished (tests and benchmarks)."""
        async with self._synced:
            await asyncio.wait_for(self._synced.wait_for(lambda: self.syncs_done > after), timeout)
        return self.syncer.last

    async def sync_now(self) -> SyncReport | None:
        """Run a sync in the caller, never overlapping the periodic one."""
        await self.periodic.run_now()
        return self.syncer.last

    async def health(self) -> dict[str, object]:
        database_ok = await self.db.ping()
        last = self.syncer.last
        if not database_ok:
            status = "unhealthy"
        elif self.link.up is False or (last is not None and last.failures > 0):
            status = "degraded"
        else:
            status = "healthy"
        return {
            "status": status,
            "service": self.settings.service_name,
            "totalEscrows": len(self.registry.escrows),
            "totalPositions": len(self.index),
            "pxeConnected": self.link.up is True,
            "lastSyncAt": last.finished_at if last else None,
            "lastSyncDurationMs": last.duration_ms if last else None,
            "checks": {"database": database_ok, "pxe": self.link.up is True, "lastSyncFailures": last.failures if last else None},
        }
