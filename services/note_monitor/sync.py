"""The note sync: read every escrow's notes (note_reads.py), recover what a PXE forgot (recovery.py), and
record real changes.

One failing escrow never stops the others. When the PXE is down the sync ends early and positions keep
their old `syncedAt`; the version moves only for positions that changed. Notes read from the note store
carry their nonces: an escrow whose two notes are the ones of the last sync is not compared again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from services.note_monitor.escrows import Escrow, position_of, unchanged
from services.note_monitor.metrics import MonitorMetrics
from services.note_monitor.note_reads import Result
from services.note_monitor.recovery import Recovery, is_missing
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
    def __init__(self, registry: EscrowRegistry, metrics: MonitorMetrics, recovery: Recovery,
                 assign: Callable[[list[Escrow]], list[Escrow]] | None = None) -> None:
        self.registry = registry
        self.assign = assign  # replicas: the escrows this monitor syncs (shared/leases.py Membership); None: all
        self.metrics = metrics
        self.recovery = recovery
        self.last: SyncReport | None = None
        # escrow -> the hash of the nonces of the notes its position was last compared with. A 64-bit hash rather
        # than the 133-character nonces: 36 bytes an escrow instead of 180 (a million escrows: 180 MB); two notes'
        # nonces and their successors' collide once in 2**64 changes.
        self._nonces: dict[str, int] = {}

    async def run(self) -> SyncReport:
        started = time.monotonic()
        escrows = list(self.registry.escrows.values())
        if self.assign is not None:
            escrows = self.assign(escrows)
        log.info("Note sync started", escrows=len(escrows), positions=len(self.registry.index))
        changed, failures = 0, len(escrows)
        try:
            block = await self._block_number()
        except PxeUnreachable as exc:
            self.registry.pxe_reachability.mark(False, str(exc))
        except PxeError as exc:  # it answered, but not with a block number: nothing can be stamped
            self.registry.pxe_reachability.mark(True)
            log.error("PXE block number read failed", error=str(exc)[:300])
        else:
            synced_at = int(time.time())
            results = await self._read_all(escrows)
            read = [(e, r) for e in escrows if isinstance(r := results.get(e.address), Notes)]
            failures = len(escrows) - len(read)
            try:
                changed = await self._apply(read, synced_at, block)
            except Exception as exc:  # the database: positions stay as they were, the next sync retries
                log.error("Position store write failed", error=repr(exc)[:300])
                failures = len(escrows)
        return self._finish(started, len(escrows), changed, failures)

    async def _block_number(self) -> int:
        """The node's block number, from the first read gateway that answers (they share one node)."""
        unreachable: PxeUnreachable | None = None
        for client in self.registry.gateways.clients.values():
            try:
                return int(await client.block_number())
            except PxeUnreachable as exc:
                unreachable = exc
        assert unreachable is not None
        raise unreachable

    async def _read_all(self, escrows: list[Escrow]) -> dict[str, Result]:
        """Every escrow's notes; those a PXE holds none of, read again once their senders are registered again."""
        reads, down = self.registry.reads, dict[str, PxeUnreachable]()
        results = await reads.read(escrows, down)
        missing = [e for e in escrows if is_missing(results.get(e.address))]
        if missing:
            again = await self.recovery.senders_again(missing)
            if again:
                results.update(await reads.read(again, down))
        self.registry.pxe_reachability.mark(not down, "; ".join(f"{g}: {e}" for g, e in down.items()) or None)
        self.recovery.settle(escrows, results)
        logged = 0
        for escrow in escrows:
            problem = self.recovery.problems.get(escrow.address)
            if problem is not None and problem.kind == "read-failed":
                logged += 1  # a revert, bad data: this escrow only; the summary line counts the rest
                if logged <= LOGGED_FAILURES:
                    log.warning("Escrow read failed", address=escrow.address, error=problem.words)
        return results

    async def _apply(self, read: list[tuple[Escrow, Notes]], synced_at: int, block: int) -> int:
        registry, index = self.registry, self.registry.index
        nonces = {e.address: hash(notes.nonce) for e, notes in read if notes.nonce}
        async with registry.write_lock:
            changed: list[Position] = []
            refreshed: list[Position] = []
            for escrow, notes in read:
                if registry.escrows.get(escrow.address) is not escrow:
                    continue  # removed (or removed and registered again) while we were reading
                current = index.get(escrow.address)
                same_notes = bool(notes.nonce) and self._nonces.get(escrow.address) == nonces[escrow.address]
                if current is not None and (same_notes or unchanged(current, escrow, notes)):
                    refreshed.append(current)
                else:
                    changed.append(position_of(escrow, notes, synced_at, block, index.next_version()))
            await registry.store.save_sync(changed, [p.escrow for p in refreshed], synced_at, block, index.allocated)
            for position in refreshed:
                position.synced_at, position.block_number = synced_at, block
            if not registry.store.shared:  # replicas: the changes reach the index in version order (follow)
                for position in changed:
                    index.put(position)
        self._nonces = nonces
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
