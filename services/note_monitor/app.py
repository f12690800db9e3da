"""The note-monitor FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from services.note_monitor.api.routes import protected, router
from services.note_monitor.api.schemas import Health
from services.note_monitor.service import NoteMonitor
from services.note_monitor.settings import NoteMonitorSettings
from shared.app import create_service_app
from shared.protocols import rules_for
from shared.pxe.client import PxeClient


def create_app(settings: NoteMonitorSettings, pxe: PxeClient | None = None) -> FastAPI:
    """`pxe` is injected by tests and benchmarks; otherwise one is built from PXE_URL and closed on stop."""
    owns_pxe = pxe is None
    reads = rules_for(settings.protocol).READS
    client = pxe if pxe is not None else PxeClient(settings.pxe_url, reads=reads,
                                                   max_connections=max(64, settings.sync_concurrency))
    service = NoteMonitor(settings, client, owns_pxe=owns_pxe)
    return create_service_app(
        settings, service, service.metrics.metrics, [router, protected], Health,
        description="Keeps registered escrows, reads their notes through the PXE and serves positions.",
    )
