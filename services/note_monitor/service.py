"""The note monitor: its parts wired in one place, its lifecycle, and what the HTTP API asks of it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from services.note_monitor.escrows import Escrow
from services.note_monitor.metrics import MonitorMetrics
from services.note_monitor.models import leases
from services.note_monitor.note_reads import NoteReads
from services.note_monitor.positions import PositionIndex
from services.note_monitor.problems import unreadable_summary
from services.note_monitor.read_gateways import ReadGateways
from services.note_monitor.reader import EscrowReader, PxeReachability, PxeReads
from services.note_monitor.recovery import Recovery
from services.note_monitor.registry import STORE_WORDS, EscrowRegistry
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
from shared.protocols import rules_for

log = get_logger()


class NoteMonitor:
    def __init__(self, settings: NoteMonitorSettings, pxe: PxeReads | Sequence[PxeReads],
                 close_pxe: Callable[[], Awaitable[None]] | None = None) -> None:
        """`pxe`: the read gateways' clients (one, or one per PXE_READ_URL entry); `close_pxe` closes them on stop."""
        self.settings = settings
        self.gateways = ReadGateways(list(pxe) if isinstance(pxe, Sequence) else [pxe])
        self._close_pxe = close_pxe
        self.metrics = MonitorMetrics()
        self.db = Database(settings.database_url)
        self._gateways_down = 0
        self._pxe_probe = CachedProbe(self._gateways_up)
        self.index = PositionIndex()
        self.pxe_reachability = PxeReachability(on_change=self._pxe_changed)
        # Replicas on one database split the escrows: each syncs those it owns among the live monitors.
        self.membership = Membership(self.db, leases, "monitor", settings.instance_id, settings.member_ttl)
        shared = self.membership.shared
        reads = NoteReads(self.gateways, settings.sync_concurrency, settings.sync_batch_size)
        self.recovery = Recovery(self.gateways, settings.sync_batch_size)
        reader = EscrowReader(rules_for(settings.protocol).THRESHOLD_BASE)
        self.registry = EscrowRegistry(PositionStore(self.db, shared), self.index, reader, reads, self.pxe_reachability)
        self.syncer = NoteSyncer(self.registry, self.metrics, self.recovery, assign=self._assigned if shared else None)
        self.periodic = Periodic("note-sync", settings.sync_interval, self._sync)
        self.lease_loop = Periodic("monitor-lease", self.membership.interval, lambda _scheduled: self._renew())
        self._following = asyncio.Lock()
        if shared:
            self.registry.follow = self.follow
        self.metrics.escrows.set_function(lambda: len(self.registry.escrows))
        self.metrics.positions.set_function(lambda: len(self.index))

    async def _gateways_up(self) -> bool:
        answers = await self.gateways.status()
        self._gateways_down = sum(not up for up in answers.values())
        return self._gateways_down == 0

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
        if self._close_pxe is not None:
            await self._close_pxe()
        await self.db.close()

    # --- what the HTTP API asks ------------------------------------------------------------

    async def register(self, address: str, secret_key: str | None, instance: dict[str, Any] | None,
                       owner: str | None = None, pool: str | None = None) -> Escrow:
        """EscrowExists, EscrowRejected (why, in words), PxeUnavailable or StoreUnavailable when it cannot be registered."""
        return await self.registry.register(address, secret_key, instance, owner, pool)

    def escrows(self) -> list[Escrow]:
        return self.registry.listed()

    def problem(self, escrow: str) -> str | None:
        """What kept this monitor's last sync from reading the escrow, and what to do; None when it read."""
        found = self.recovery.problems.get(escrow)
        return found.words if found else None

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
        """Unhealthy when the database cannot take the work (unreachable, read-only, its schema gone: every
        registration would fail). Healthy only when, besides, every read gateway answers now, the last sync
        read every escrow, and no sync has been running for more than twice SYNC_INTERVAL (a frozen PXE)."""
        database, pxe_live = await self.db.state("escrows"), await self._pxe_probe()
        last = self.syncer.last
        running_for = self.periodic.running_for()
        sync_stuck = running_for > 2 * self.settings.sync_interval
        if database != "ok":
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
            "checks": self._checks(database, pxe_live, last, running_for, sync_stuck),
        })

    def _checks(self, database: str, pxe_live: bool, last: SyncReport | None, running_for: float,
                sync_stuck: bool) -> dict[str, Any]:
        key_lost, no_note = self.recovery.counts()
        return {
            "database": database, "pxe": pxe_live, "pxeGateways": len(self.gateways),
            "pxeGatewaysDown": self._gateways_down, "lastSyncFailures": last.failures if last else None,
            "syncRunningForMs": round(running_for * 1000) if running_for else None, "syncStuck": sync_stuck,
            "escrowsKeyLost": key_lost, "escrowsWithoutNotes": no_note,
            "unreadableEscrows": unreadable_summary(key_lost, no_note),
            "databaseProblem": None if database == "ok" else STORE_WORDS.get(database),
        }
