"""The note sync: read every escrow's notes in JSON-RPC batches, and record real changes.

One failing escrow never stops the others. When the PXE is down the sync ends early and
positions keep their old `syncedAt`; the version moves only for positions that changed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from services.note_monitor.escrows import Escrow, position_of, unchanged
from services.note_monitor.metrics import MonitorMetrics
from services.note_monitor.registry import EscrowRegistry
from shared.logging import get_logger
from shared.positions import Position
from shared.pxe.client import Notes
from shared.pxe.errors import PxeError, PxeUnreachable

log = get_logger()

LOGGED_FAILURES = 10  # per sync, so a broken PXE cannot flood the log with one line per escrow


@dataclass
class SyncReport:
    escrows: int
    positions: int
    changed: int
    failures: int
    duration_ms: int
    finished_at: int


class NoteSyncer:
    def __init__(self, registry: EscrowRegistry, concurrency: int, metrics: MonitorMetrics, batch_size: int = 100,
                 assign: Callable[[list[Escrow]], list[Escrow]] | None = None) -> None:
        self.registry = registry
        self.assign = assign  # replicas: the escrows this monitor syncs (shared/leases.py Membership); None: all
        self.concurrency = concurrency  # JSON-RPC batches in flight at once
        self.batch_size = batch_size  # escrows per batch
        self.metrics = metrics
        self.last: SyncReport | None = None

    async def run(self) -> SyncReport:
        started = time.monotonic()
        escrows = list(self.registry.escrows.values())
        if self.assign is not None:
            escrows = self.assign(escrows)
        log.info("Note sync started", escrows=len(escrows), positions=len(self.registry.index))
        changed, failures = 0, len(escrows)
        try:
            block = await self.registry.reader.pxe.block_number()
        except PxeUnreachable as exc:
            self.registry.pxe_reachability.mark(False, str(exc))
        except PxeError as exc:  # it answered, but not with a block number: nothing can be stamped
            self.registry.pxe_reachability.mark(True)
            log.error("PXE block number read failed", error=str(exc)[:300])
        else:
            self.registry.pxe_reachability.mark(True)
            synced_at = int(time.time())
            notes, failures = await self._read_all(escrows)
            try:
                changed = await self._apply(notes, synced_at, block)
            except Exception as exc:  # the database: positions stay as they were, the next sync retries
                log.error("Position store write failed", error=repr(exc)[:300])
                failures = len(escrows)
        return self._finish(started, len(escrows), changed, failures)

    async def _read_all(self, escrows: list[Escrow]) -> tuple[list[tuple[Escrow, Notes]], int]:
        """Every escrow's notes, in JSON-RPC batches of `batch_size`, at most `concurrency` batches at once."""
        size = self.batch_size
        batches = iter([escrows[i:i + size] for i in range(0, len(escrows), size)])
        read: list[tuple[Escrow, Notes]] = []
        failures = 0
        pxe_down = False

        async def worker() -> None:
            nonlocal failures, pxe_down
            for batch in batches:  # one shared iterator: each batch is taken by exactly one worker
                if pxe_down:
                    failures += len(batch)
                    continue
                try:
                    results = await self.registry.reader.read_many(batch)
                except PxeUnreachable as exc:
                    failures += len(batch)
                    # Stop early rather than retry thousands of escrows against a PXE that is gone.
                    if not pxe_down and not await self.registry.reader.pxe.status():
                        pxe_down = True
                        self.registry.pxe_reachability.mark(False, str(exc))
                    continue
                for escrow, result in zip(batch, results, strict=True):
                    if isinstance(result, Notes):
                        read.append((escrow, result))
                        continue
                    failures += 1  # a revert, bad data: this escrow only
                    if failures <= LOGGED_FAILURES:  # the summary line counts the rest
                        log.warning("Escrow read failed", address=escrow.address, error=str(result)[:300])

        workers = min(self.concurrency, max(1, -(-len(escrows) // size)))
        await asyncio.gather(*(worker() for _ in range(workers)))
        return read, failures

    async def _apply(self, read: list[tuple[Escrow, Notes]], synced_at: int, block: int) -> int:
        registry, index = self.registry, self.registry.index
        async with registry.write_lock:
            changed: list[Position] = []
            refreshed: list[Position] = []
            for escrow, notes in read:
                if registry.escrows.get(escrow.address) is not escrow:
                    continue  # removed (or removed and registered again) while we were reading
                current = index.get(escrow.address)
                if current is not None and unchanged(current, escrow, notes):
                    refreshed.append(current)
                else:
                    changed.append(position_of(escrow, notes, synced_at, block, index.next_version()))
            await registry.store.save_sync(changed, [p.escrow for p in refreshed], synced_at, block, index.allocated)
            for position in refreshed:
                position.synced_at, position.block_number = synced_at, block
            if not registry.store.shared:  # replicas: the changes reach the index in version order (follow)
                for position in changed:
                    index.put(position)
        if registry.follow is not None:
            await registry.follow()
        return len(changed)

    def _finish(self, started: float, escrows: int, changed: int, failures: int) -> SyncReport:
        duration = time.monotonic() - started
        report = SyncReport(escrows, len(self.registry.index), changed, failures, round(duration * 1000), int(time.time()))
        self.last = report
        self.metrics.syncs.inc()
        self.metrics.sync_duration.observe(duration)
        self.metrics.sync_failures.inc(failures)
        self.metrics.position_changes.inc(changed)
        fields = dict(escrows=escrows, positions=report.positions, changed=changed, failures=failures, durationMs=report.duration_ms)
        if failures:
            log.warning("Note sync failed", **fields)
        else:
            log.info("Note sync completed", **fields)
        return report
