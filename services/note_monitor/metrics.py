"""The monitor's Prometheus metrics (one registry per app)."""

from __future__ import annotations

from shared.metrics import Metrics

SYNC_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class MonitorMetrics:
    def __init__(self) -> None:
        self.metrics = Metrics("note_monitor")
        self.sync_duration = self.metrics.histogram("sync_duration_seconds", "Duration of a note sync", buckets=SYNC_BUCKETS)
        self.sync_failures = self.metrics.counter("sync_failures", "Escrows whose notes could not be read in a sync")
        self.syncs = self.metrics.counter("syncs", "Note syncs run")
        self.position_changes = self.metrics.counter("position_changes", "Position changes found by syncs")
        self.escrows = self.metrics.gauge("escrows", "Registered escrows")
        self.positions = self.metrics.gauge("positions", "Positions held")
        self.pxe_up = self.metrics.gauge("pxe_up", "1 when the PXE answered the last request, else 0")
