"""Prometheus series of the price service."""

from __future__ import annotations

from shared.metrics import Metrics


class PriceMetrics(Metrics):
    def __init__(self) -> None:
        super().__init__("price_service")
        self.fetches = self.counter("fetches_total", "Price fetches by source and outcome", ("source", "outcome"))
        self.future_quotes = self.counter("future_quotes_total", "Quotes refused: stamped beyond the clock allowance ahead "
                                          "of this service's clock", ("source",))
        self.no_price = self.counter("no_agreed_price_total", "Cycles in which an asset got no agreed price, by reason",
                                     ("asset", "reason"))
        self.updates = self.counter("onchain_updates_total", "Assets pushed on-chain by reason", ("reason",))
        self.update_failures = self.counter("onchain_update_failures_total",
                                            "Failed on-chain updates: reverted, failed, cancelled or chain unreachable")
        self.last_update = self.gauge("last_onchain_update_timestamp", "Unix time of the asset's on-chain price", ("asset",))
        self.deviation = self.gauge("price_deviation_percent", "Fetched price's distance from the on-chain price", ("asset",))
        self.tracked = self.gauge("tracked_assets", "Assets tracked")
        self.last_fetch_success = self.gauge("last_fetch_success_timestamp", "Unix time of the last answered fetch")
        self.last_cycle = self.gauge("last_cycle_timestamp", "Unix time the last poll cycle completed")
        # Computed when scraped (pushes.py sets its function): it moves while a push waits.
        self.push_pending = self.gauge("push_pending_seconds", "How long the on-chain update in flight has been pending")
        self.replacements = self.counter("tx_replacements_total", "Stuck transactions replaced at their nonce")
        self.cancellations = self.counter("tx_cancellations_total", "Transactions given up on and cancelled at their nonce")
        self.updater_balance = self.gauge("updater_balance_ether", "Balance of the oracle updater account (display only)")
        self.updater_balance.set(float("nan"))  # unknown until read, and for ever on a feed without one (Aztec)
        self.rpc_failovers = self.gauge("rpc_failovers", "Times the chain client moved to another RPC endpoint")
        self.leader = self.gauge("leader", "1 while this replica leads (holds the lease and pushes), 0 on standby")
