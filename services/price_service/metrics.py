"""Prometheus series of the price service."""

from __future__ import annotations

from shared.metrics import Metrics


class PriceMetrics(Metrics):
    def __init__(self) -> None:
        super().__init__("price_service")
        self.fetches = self.counter("fetches_total", "Price fetches by outcome", ("source", "outcome"))
        self.updates = self.counter("onchain_updates_total", "Assets pushed on-chain by reason", ("reason",))
        self.update_failures = self.counter("onchain_update_failures_total", "Failed setPrices transactions")
        self.last_update = self.gauge("last_onchain_update_timestamp", "Unix time of the asset's on-chain price", ("asset",))
        self.deviation = self.gauge("price_deviation_percent", "Fetched price's distance from the on-chain price", ("asset",))
        self.tracked = self.gauge("tracked_assets", "Assets tracked")
