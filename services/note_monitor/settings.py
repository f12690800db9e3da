"""note-monitor settings (SPEC section 2)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings


class NoteMonitorSettings(ServiceSettings):
    service_name: ClassVar[str] = "note-monitor"
    database_name: ClassVar[str] = "note-monitor"

    pxe_url: str = "http://127.0.0.1:8080"
    sync_interval: float = Field(60, gt=0)
    sync_concurrency: int = Field(16, ge=1, le=256)  # JSON-RPC batches in flight at once
    sync_batch_size: int = Field(100, ge=1, le=1000)  # escrows per batch
