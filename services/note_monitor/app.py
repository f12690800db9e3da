"""The note-monitor FastAPI app."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from services.note_monitor.api.routes import protected, router
from services.note_monitor.api.schemas import Health
from services.note_monitor.reader import PxeReads
from services.note_monitor.service import NoteMonitor
from services.note_monitor.settings import NoteMonitorSettings
from shared.app import create_service_app
from shared.protocols import rules_for
from shared.pxe.gateways import PxeGateways


def create_app(settings: NoteMonitorSettings, pxe: PxeReads | Sequence[PxeReads] | None = None) -> FastAPI:
    """`pxe` is injected by tests and benchmarks; otherwise the PXE_READ_URL gateways' clients are built
    (PXE_URL's when it is empty) and closed on stop."""
    if pxe is None:
        # A read waits its turn behind the gateway's other jobs (a proof takes a minute with real proofs):
        # it may take up to a sync interval before it counts as unanswered.
        gateways = PxeGateways(settings.pxe_urls("read"), reads=rules_for(settings.protocol).READS,
                               max_connections=max(64, settings.sync_concurrency), timeout=max(10.0, settings.sync_interval))
        service = NoteMonitor(settings, gateways.clients, close_pxe=gateways.close)
    else:
        service = NoteMonitor(settings, pxe)
    return create_service_app(
        settings, service, service.metrics.metrics, [router, protected], Health,
        description="Keeps registered escrows, reads their notes through the PXE and serves positions.",
    )
