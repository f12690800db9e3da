"""Prometheus series of the liquidation engine."""

from __future__ import annotations

from shared.metrics import Metrics

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class EngineMetrics(Metrics):
    def __init__(self) -> None:
        super().__init__("liquidation_engine")
        self.checks = self.counter("checks_total", "Position checks run, by trigger", ("trigger",))
        self.positions_checked = self.counter("positions_checked_total", "Positions evaluated")
        self.check_duration = self.histogram("check_duration_seconds", "Duration of one check", buckets=LATENCY_BUCKETS)
        self.liquidations = self.counter("liquidations_total", "Liquidation attempts by outcome", ("outcome",))
        self.reaction_latency = self.histogram(
            "reaction_latency_seconds", "From a price notification accepted to a liquidation transaction sent",
            buckets=LATENCY_BUCKETS,
        )
        self.positions_tracked = self.gauge("positions_tracked", "Positions in the engine's copy")
        self.stale_prices = self.counter("stale_prices_total", "Checks that found an asset's oracle price stale", ("asset",))
        self.notifications = self.counter("price_notifications_total", "Price update notifications accepted")
        self.oracle_up = self.gauge("oracle_up", "1 when the oracle prices could be read at the last attempt, else 0")
        self.oracle_failures = self.counter("oracle_read_failures_total", "Checks or health probes that could not read the oracle")
        self.swapped_price_skips = self.counter(
            "swapped_price_check_skips_total",
            "Liquidations not sent because the pool's swapped on-chain price check would revert (nocom-v1)")
        self.pxe_up = self.gauge("pxe_up", "1 when the PXE answered the last health probe, else 0")
        self.monitor_up = self.gauge("note_monitor_up", "1 when the note monitor answered the last health probe, else 0")
        self.in_flight_attempts = self.gauge(
            "in_flight_attempts", "Liquidation attempts in flight in the shared database, by the engine holding them",
            ("engine",))
        self.live_engines = self.gauge("live_engines", "Engines whose membership lease is live on the shared database")
        self.claims_refused = self.counter(
            "claims_refused_total", "Planned liquidations not sent: the database refused the claim (in flight or "
            "cooling down, by any engine)")
        self.tx_calls = self.histogram(
            "tx_liquidations", "Liquidations per transaction sent (bundled up to the entrypoint's call limit)",
            buckets=(1, 2, 3, 4, 5, 8, 16))
        self.bundle_reverts = self.counter(
            "bundle_reverts_total", "Bundles of several liquidations whose simulation reverted (then split to find the culprit)")
        self.attempts_adopted = self.counter(
            "attempts_adopted_total", "In-flight attempts of a stopped engine taken over by this one")
