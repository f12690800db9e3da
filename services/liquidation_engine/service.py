"""The liquidation engine's Lifecycle: storage, liquidator account, position copy, oracle, check loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from services.liquidation_engine.attempts import AttemptStore, Cooldowns, Rereads
from services.liquidation_engine.checker import Checker
from services.liquidation_engine.executor import Executor, ExecutorConfig
from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.mirror import MonitorClient, MonitorUnavailable, PositionMirror
from services.liquidation_engine.oracle_prices import RpcOracleReader, OraclePrices, PriceReader
from services.liquidation_engine.settings import LiquidationEngineSettings
from shared.db import Database
from shared.health import probe
from shared.http import backoff_delay
from shared.logging import get_logger
from shared.pxe.client import PxeClient
from shared.pxe.errors import PxeError

log = get_logger()

REGISTER_RETRY_MAX = 30.0


class LiquidationEngine:
    def __init__(self, settings: LiquidationEngineSettings, *, pxe: PxeClient | None = None,
                 price_reader: PriceReader | None = None, monitor: MonitorClient | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.metrics = EngineMetrics()
        self.db = Database(settings.database_url)
        self.store = AttemptStore(self.db, clock)
        self._owns_pxe = pxe is None
        self.pxe = pxe or PxeClient(settings.pxe_url, max_connections=max(64, settings.max_concurrent_liquidations * 2))
        self._owns_monitor = monitor is None
        self.monitor = monitor or MonitorClient(settings.note_monitor_url, settings.api_keys[0])
        self.mirror = PositionMirror(self.monitor, settings.monitor_page_size)
        self.prices = OraclePrices(price_reader or RpcOracleReader(settings.rpc_url, settings.oracle_address),
                                   settings.stale_after, clock)
        self.cooldowns = Cooldowns(settings.cooldown_base, settings.cooldown_max)
        self.rereads = Rereads()
        self.executor = Executor(
            self.pxe, self.store, self.cooldowns, self.rereads, self.mirror, self.monitor, self.metrics,
            ExecutorConfig(settings.receipt_timeout, settings.receipt_poll_interval,
                           settings.max_concurrent_liquidations, follow_backoff_max=settings.cooldown_max),
        )
        self.checker = Checker(self.mirror, self.prices, self.executor, self.cooldowns, self.rereads, self.metrics,
                               sweep_interval=settings.sweep_interval, dry_run=settings.dry_run,
                               log_healthy=settings.log_level == "debug", clock=clock)
        self.metrics.positions_tracked.set_function(lambda: len(self.mirror))
        self._registering: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.store.init()
        if not await self._register_once():
            self._registering = asyncio.create_task(self._register_until_done(), name="liquidator-register")
        try:
            await self.mirror.refresh()
        except MonitorUnavailable as exc:
            log.warning("Note monitor unreachable", error=str(exc), positions=0)
        await self.executor.resume()
        self.checker.start()

    async def _register_once(self) -> bool:
        try:
            await self.executor.register(self.settings.liquidator_private_key.get_secret_value())
            return True
        except PxeError as exc:
            log.warning("Liquidator account registration failed", error=str(exc))
            return False

    async def _register_until_done(self) -> None:
        attempt = 1
        while True:
            await asyncio.sleep(backoff_delay(attempt, 0.5, REGISTER_RETRY_MAX))
            if await self._register_once():
                self.checker.poke()
                return
            attempt += 1

    async def stop(self) -> None:
        if self._registering:
            self._registering.cancel()
        await self.checker.stop()
        await self.executor.stop()
        if self._owns_pxe:
            await self.pxe.close()
        if self._owns_monitor:
            await self.monitor.close()
        await self.prices.reader.close()
        await self.db.close()

    def price_update(self, assets: list[str]) -> None:
        accepted_at = time.monotonic()
        self.metrics.notifications.inc()
        log.info("Price update notification", assets=assets)
        self.checker.notify(assets, accepted_at)

    async def health(self) -> tuple[int, dict[str, Any]]:
        async def counts() -> dict[str, int] | None:
            try:
                return await self.store.counts()
            except Exception:
                return None

        found, pxe_ok, monitor_ok = await asyncio.gather(counts(), probe(self.pxe.is_ready()), probe(self.monitor.reachable()))
        if found is None:
            state = "unhealthy"
        elif not pxe_ok or not monitor_ok:
            state = "degraded"
        else:
            state = "healthy"
        body = {
            "status": state,
            "service": self.settings.service_name,
            "pxeConnected": pxe_ok,
            "noteMonitorReachable": monitor_ok,
            "positionsTracked": len(self.mirror),
            "liquidationsSucceeded": (found or {}).get("succeeded", 0),
            "liquidationsFailed": (found or {}).get("failed", 0),
            "lastCheckAt": self.checker.last_check_at,
            "checks": {
                "database": "ok" if found is not None else "unreachable",
                "liquidatorRegistered": self.executor.liquidator is not None,
                "positionsLoaded": self.mirror.loaded,
                "inFlight": len(self.executor.in_flight),
                "dryRun": self.settings.dry_run,
            },
        }
        return (503 if state == "unhealthy" else 200), body
