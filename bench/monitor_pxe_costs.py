"""How many escrows one PXE keeps within a 60 s sync, under the development PXE's model of a real PXE's costs
(issue 22.1/22.6): today's reads (two simulations per escrow) against the note-store reads (one pxe_getNotes
per pool), in one run, against one dev PXE started with `--costs fake-proofs --time-scale S`.

A real PXE runs one job at a time, so a sync lasts at least the PXE's busy time: the sum of its jobs'
costs, which the dev PXE reports in model seconds (dev_getJobStats, wall seconds / S). The rest of the
sync's wall time (the monitor's own work, the dev PXE's Python, the HTTP) is not a PXE cost and is not
scaled: it is added as it is, in seconds, which overstates a sync (a real PXE does that Python work in
its job time already). Capacity is escrows x 60 / the sync's model seconds, read at two sizes each.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.dev_pxe import call
from services.note_monitor.escrows import Escrow
from services.note_monitor.service import NoteMonitor
from shared.pxe.client import PxeClient
from shared.pxe.errors import PxeMethodNotFound

SYNC_SECONDS = 60
GOAL = 10


class SimulationsOnly(PxeClient):
    """Today's reads: a PXE without pxe_getNotes (-32601), so the monitor reads each escrow by simulation."""

    async def get_notes(self, contract: str, **_query: Any) -> Any:
        raise PxeMethodNotFound("Method not found: pxe_getNotes", -32601)


@dataclass
class Figure:
    reads: str
    escrows: int
    changed: int
    jobs: int
    busy: float  # the PXE's busy time, model seconds
    wall: float  # the sync's wall time, seconds
    scale: float
    cpu: float  # the monitor's own CPU time in the sync (this process), seconds

    @property
    def model(self) -> float:
        """The sync in model seconds: the PXE's busy time, plus the rest of the wall time as it is."""
        return self.busy + max(0.0, self.wall - self.busy * self.scale)

    @property
    def per_minute(self) -> float:
        return self.escrows * SYNC_SECONDS / self.model

    def line(self) -> str:
        return (f"{self.reads}: {self.escrows} escrows ({self.changed} changed): {self.jobs} PXE jobs, PXE busy "
                f"{self.busy:.1f} model s, wall {self.wall:.2f} s (the monitor's CPU {self.cpu:.2f} s) -> sync "
                f"{self.model:.1f} model s -> "
                f"{self.per_minute:,.0f} escrows within a {SYNC_SECONDS} s sync")


async def sync_figure(monitor: NoteMonitor, admin: httpx.AsyncClient, url: str, reads: str) -> Figure:
    """One sync of the monitor, timed, with the PXE's job figures of that sync alone."""
    await call(admin, url, "dev_getJobStats", {"reset": True})
    started, cpu = time.perf_counter(), time.process_time()
    report = await monitor.sync_now()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    stats = await call(admin, url, "dev_getJobStats", {"reset": True})
    assert report is not None and report.failures == 0, report
    return Figure(reads, report.escrows, report.changed, stats["jobCount"], stats["busySeconds"], wall, stats["timeScale"],
                  cpu)


async def figures_for(url: str, admin: httpx.AsyncClient, escrows: list[Escrow], reads: str, settings_for: Any,
                      seed: Any, change_every: int = 10) -> list[Figure]:
    """Two syncs of a monitor holding `escrows`: after a tenth of the borrowers changed their notes, then with
    nothing changed. `reads` is "today's reads" (by simulation) or "note-store reads"."""
    client_class = SimulationsOnly if reads.startswith("today") else PxeClient
    client = client_class(url, max_connections=64, timeout=600)
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        monitor = NoteMonitor(settings_for(tmp, url), client)
        await monitor.registry.store.init()
        await seed(monitor, escrows)
        for escrow in escrows[::change_every]:
            position = await call(admin, url, "dev_getPosition", escrow.address)
            await call(admin, url, "dev_setPosition", escrow.address, str(int(position["collateralAmount"]) + 1),
                       position["loanPrincipal"], position["loanEpoch"])
        figures.append(await sync_figure(monitor, admin, url, reads))
        figures.append(await sync_figure(monitor, admin, url, reads + ", nothing changed"))
        await monitor.db.close()
    await client.close()
    return figures


def verdict(today: Figure, store: Figure) -> str:
    ratio = store.per_minute / today.per_minute
    return (f"escrows one PXE keeps within a {SYNC_SECONDS} s sync, note-store reads / today's: {ratio:,.0f}x  "
            f"goal >= {GOAL}x: {'met' if ratio >= GOAL else 'NOT met'}")
