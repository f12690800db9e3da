"""The liquidation engine: its parts wired in one place, every trigger of a check declared here, its
lifecycle, and what the HTTP API asks of it.

Triggers: the sweep schedule (SWEEP_INTERVAL), price notifications (POST /price-update), and
escrows whose attempt settled (the receipt follower) or that were just re-read, all coalesced by
CheckRequests into the next run of one Periodic loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from services.liquidation_engine.attempts import AttemptStore
from services.liquidation_engine.check_requests import CheckRequests
from services.liquidation_engine.checker import Checker, CheckParts
from services.liquidation_engine.engine_health import Found, Probes, assess
from services.liquidation_engine.feed_prices import AGE_UNKNOWN, FeedReader, FeedTimes
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.models import LiquidationRow, leases
from services.liquidation_engine.monitor_client import MonitorClient, MonitorUnavailable
from services.liquidation_engine.oracle_prices import OraclePrices
from services.liquidation_engine.outcomes import Outcomes
from services.liquidation_engine.planning.holds import Cooldowns, InFlight, Rereads
from services.liquidation_engine.planning.liquidation_index import LiquidationIndex
from services.liquidation_engine.position_copy import PositionCopy
from services.liquidation_engine.pxe_roles import PxeRoles
from services.liquidation_engine.receipts import ReceiptConfig, ReceiptFollower
from services.liquidation_engine.sending import LiquidationSender
from services.liquidation_engine.settings import LiquidationEngineSettings
from services.liquidation_engine.takeover import HOLD_FRACTION, Takeover
from shared.db import Database
from shared.feeds.evm_oracle import OracleReader
from shared.feeds.onchain_price import PriceReader
from shared.health import HealthReport
from shared.leases import Membership
from shared.logging import get_logger
from shared.periodic import Periodic
from shared.protocols import rules_for
from shared.pxe.client import PxeClient
from shared.pxe.errors import PxeError
from shared.retry import backoff_delay, retry

log = get_logger()

REGISTER_RETRY_MAX = 30.0
PXE_CONNECTIONS = 32  # per gateway: a bundle at a time per send gateway, reads and receipts beside
DROPPED_GRACE = 2.0  # seconds a `dropped` receipt must stay so before it is believed (receipts.py)
STOP_GRACE = 5.0  # a running check may finish its sends rather than be cut in half


class _NotRegistered(Exception):
    pass


class LiquidationEngine:
    def __init__(self, settings: LiquidationEngineSettings, *, pxe: PxeClient | None = None,
                 price_reader: PriceReader | None = None, monitor: MonitorClient | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        """`pxe`: one client for every PXE role (tests, tools); else the gateways of PXE_SEND_URL and PXE_READ_URL."""
        self.settings = settings
        self.metrics = EngineMetrics()
        self.db = Database(settings.database_url)
        self.store = AttemptStore(self.db, clock, instance=settings.instance_id)
        self._owns_monitor = monitor is None
        self.rules = rules_for(settings.protocol)
        self.gateways = PxeRoles.of(settings, pxe, send_timeout=settings.prove_timeout, reads=self.rules.READS,
                                    max_connections=PXE_CONNECTIONS)
        self.pxe = self.gateways.read.first
        self.monitor = monitor or MonitorClient(settings.note_monitor_url, settings.api_keys[0])
        self.in_flight, self.rereads = InFlight(), Rereads()
        self.cooldowns = Cooldowns(settings.cooldown_base, settings.cooldown_max)
        self.positions = PositionCopy(self.monitor, self.gateways.read, self.rereads, settings.monitor_page_size,
                                      LiquidationIndex(self.rules))
        # A feed that keeps no time (nocom-v1): each price's age is what the price service that set it says,
        # unless there is none (PRICE_SERVICE_URL empty): then the feed is used as the contract uses it.
        keeps_time = self.rules.PRICE_FEED.keeps_time
        self.feed_times = FeedTimes(settings.price_service_url) if not keeps_time and settings.price_service_url else None
        self.prices = OraclePrices(price_reader or self._price_reader(), settings.stale_after, clock,
                                   ages_known=settings.feed_age_known)
        self.checks = Periodic("liquidation-check", settings.sweep_interval, self._check)
        self.requests = CheckRequests(wake=self.checks.trigger)
        outcomes = Outcomes(self.store, self.in_flight, self.cooldowns, self.rereads, self.metrics,
                            price_mismatch=self.rules.PRICE_MISMATCH_REASONS, retry_now=self.requests.recheck)
        self.follower = ReceiptFollower(
            self.gateways.read, self.store, outcomes, self.positions, self.monitor, self.requests,
            ReceiptConfig(settings.receipt_timeout, settings.receipt_poll_interval, backoff_max=settings.cooldown_max,
                          dropped_grace=max(DROPPED_GRACE, 4 * settings.receipt_poll_interval)),
        )
        self.membership = Membership(self.db, leases, "engine", settings.instance_id, settings.engine_lease_ttl,
                                     hold_fraction=HOLD_FRACTION)
        self.takeover = Takeover(self.store, self.membership, self.metrics, on_adopted=self._adopted)
        self.membership_loop = Periodic("engine-membership", self.membership.interval, self._membership_round)
        self.sender = LiquidationSender(self.gateways, outcomes, self.in_flight, self.metrics,
                                        may_claim=self.membership.held, ours=self.membership.owns,
                                        on_sent=self.follower.follow_sent)
        self.checker = Checker(
            CheckParts(self.positions, self.prices, self.sender, self.follower, self.in_flight, self.cooldowns,
                       self.rereads, self.requests, self.metrics, outcomes),
            self.rules, dry_run=settings.dry_run, log_healthy=settings.log_level == "debug", clock=clock,
        )
        self.metrics.positions_tracked.set_function(lambda: len(self.positions))
        self._registering: asyncio.Task[None] | None = None
        self._probes = Probes(self.db, self.gateways, self.monitor, self.prices, self.positions, self.metrics,
                              fed=lambda: self.feed_times.assets if self.feed_times else [])

    def _price_reader(self) -> PriceReader:
        """Where the protocol keeps its prices: the EVM PriceOracle, or the Aztec feed's storage through the node."""
        if not self.rules.PRICE_FEED.keeps_time:
            return FeedReader(self.pxe, self.settings.feed_address, self._token_of, self.feed_times)
        return OracleReader(self.settings.rpc_url, self.settings.feed_address, chain_id=self.settings.chain_id)

    def _token_of(self, asset: str) -> str | None:
        """The token an asset's feed price is keyed by: from its positions, else from the price service."""
        return self.positions.token_of(asset) or (self.feed_times.token_of(asset) if self.feed_times else None)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.init()
        if not self.settings.feed_age_known:
            log.warning("Feed age unknown", feed=self.settings.feed_address, reason=AGE_UNKNOWN)
        await self.membership.renew()  # a member before anything is claimed or taken over
        if not await self._register_once():
            self._registering = asyncio.create_task(self._register_until_done(), name="liquidator-register")
        try:
            await self.positions.refresh()
        except MonitorUnavailable as exc:
            log.warning("Note monitor unreachable", error=str(exc), positions=0)
        await self.follower.resume(await self.takeover.at_start())
        await self.membership_loop.run_now()
        self.membership_loop.start(run_first=False)
        self.checks.start(run_first=True)

    async def _adopted(self, rows: list[LiquidationRow]) -> None:
        """A stopped engine's attempts, now ours: resolved from their receipts, then checked again."""
        await self.follower.resume(rows)
        for row in rows:
            self.requests.recheck(row.escrow)

    async def _membership_round(self, _scheduled: bool) -> None:
        try:
            await self.takeover.round()
        except Exception as exc:  # one failed round must never end the loop
            log.error("Engine membership check failed", error=repr(exc))

    async def _check(self, scheduled: bool) -> None:
        try:
            await self.checker.run(self.requests.take(), sweep=scheduled)
        except Exception as exc:  # one failed check must never end the loop
            log.error("Check failed", error=repr(exc))

    async def _register_once(self) -> bool:
        try:
            await self.sender.register(self.settings.liquidator_private_key.get_secret_value())
            return True
        except PxeError as exc:
            log.warning("Liquidator account registration failed", error=str(exc))
            return False

    async def _register_until_done(self) -> None:
        async def once() -> None:
            if not await self._register_once():
                raise _NotRegistered()

        await asyncio.sleep(backoff_delay(1, 0.5))
        await retry(once, attempts=None, backoff=1.0, cap=REGISTER_RETRY_MAX, retry_on=(_NotRegistered,))
        self.requests.everything()

    async def stop(self) -> None:
        if self._registering:
            self._registering.cancel()
        await self.checks.stop(grace=STOP_GRACE)
        await self.follower.stop()
        await self.membership_loop.stop()
        await self.membership.release()  # another engine takes over what is still in flight at once
        await self.gateways.close()
        if self._owns_monitor:
            await self.monitor.close()
        await self.prices.reader.close()
        await self.db.close()

    # --- what the HTTP API asks ------------------------------------------------------------

    def price_update(self, updates: list[tuple[str, int]]) -> None:
        """(asset, on-chain update time) pairs from the price service: checked in the next check."""
        accepted_at = time.monotonic()
        assets = list(dict.fromkeys(asset for asset, _ in updates))
        if self.feed_times is not None:
            for asset, updated_at in updates:
                self.feed_times.observe(asset, updated_at)
        self.metrics.notifications.inc()
        log.info("Price update notification", assets=assets)
        self.requests.notify(assets, accepted_at)

    async def liquidations(self, limit: int, status: str | None) -> list[LiquidationRow]:
        return await self.store.recent(limit, status)

    async def health(self) -> HealthReport:
        """Unhealthy when the work has stopped (the database, no membership), degraded when a dependency
        cannot be read now or a price the positions need is unusable (engine_health.py); probes cached."""
        probes = self._probes
        db_ok, pxe_ok, monitor_ok, oracle_ok = await asyncio.gather(
            probes.database(), probes.pxe(), probes.monitor(), probes.oracle())
        counts = await self._counts() if db_ok else {}
        self.metrics.pxe_up.set(1 if pxe_ok else 0)
        self.metrics.monitor_up.set(1 if monitor_ok else 0)
        m = self.membership
        status, checks = assess(Found(
            probes.database_state, pxe_ok, probes.gateways, monitor_ok,
            self.checker.prices_error or (None if oracle_ok else probes.oracle_error),
            m.shared, m.held(), self.takeover.engines()))
        checks.update({
            "feedAge": "known" if self.settings.feed_age_known else AGE_UNKNOWN,
            "pricesRead": probes.prices_read,
            "liquidatorRegistered": self.sender.liquidator is not None,
            "positionsLoaded": self.positions.loaded,
            "inFlight": len(self.in_flight),
            "dryRun": self.settings.dry_run,
        })
        return HealthReport("unhealthy" if counts is None else status, {
            "service": self.settings.service_name,
            "pxeConnected": pxe_ok,
            "noteMonitorReachable": monitor_ok,
            "positionsTracked": len(self.positions),
            "liquidationsSucceeded": (counts or {}).get("succeeded", 0),
            "liquidationsFailed": (counts or {}).get("failed", 0),
            "lastCheckAt": self.checker.last_check_at,
            "instance": self.settings.instance_id,
            "engines": self.takeover.engines(),
            "checks": checks,
        })

    async def _counts(self) -> dict[str, int] | None:
        try:
            return await self.store.counts()
        except Exception:  # noqa: BLE001 - any database failure is "unreachable" here
            return None
