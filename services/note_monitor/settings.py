"""note-monitor settings (README.md, Configuration): the common groups, its PXE, its sync."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from shared.settings import PxeSettings, ServiceSettings

MIN_MEMBER_TTL = 1.0


class NoteMonitorSettings(ServiceSettings, PxeSettings):
    service_name: ClassVar[str] = "note-monitor"
    database_name: ClassVar[str] = "note-monitor"

    note_monitor_port: int = Field(3001, ge=1, le=65535)
    sync_interval: float = Field(60, gt=0)
    sync_concurrency: int = Field(16, ge=1, le=256)  # JSON-RPC batches in flight at once
    sync_batch_size: int = Field(100, ge=1, le=1000)  # escrows per batch
    # Replicas on one database (issue 14): each monitor's membership lease; empty is min(30, SYNC_INTERVAL / 2).
    sync_member_ttl: float | None = Field(None, gt=0)

    @field_validator("sync_member_ttl", mode="before")
    @classmethod
    def _empty_is_default(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _lease_fits_the_sync(self) -> NoteMonitorSettings:
        """A stopped monitor's escrows wait its lease's TTL, then the next sync: a TTL beyond SYNC_INTERVAL leaves
        them unread for longer than a sync (600 s of a 60 s sync is ten syncs missed); one below a second is
        renewed more often than a database round trip can be relied on."""
        ttl = self.sync_member_ttl
        if ttl is not None and ttl > self.sync_interval:
            raise ValueError(f"SYNC_MEMBER_TTL ({ttl:g} s) must be at most SYNC_INTERVAL ({self.sync_interval:g} s): "
                             "a stopped monitor's escrows would go unread for longer than a sync")
        if ttl is not None and ttl < MIN_MEMBER_TTL:
            raise ValueError(f"SYNC_MEMBER_TTL must be at least {MIN_MEMBER_TTL:g} s: the lease is renewed every third of it")
        return self

    @property
    def port(self) -> int:
        return self.note_monitor_port

    @property
    def member_ttl(self) -> float:
        """Seconds a monitor stays a member unrenewed: a dead one's escrows move within TTL + one sync."""
        return self.sync_member_ttl if self.sync_member_ttl is not None else min(30.0, self.sync_interval / 2)
