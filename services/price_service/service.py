"""The price service: its parts wired in one place, its lifecycle, and what the HTTP API asks of it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.price_service.assets import Asset, AssetNotFound, AssetRegistry
from services.price_service.keeper import PriceKeeper
from services.price_service.metrics import PriceMetrics
from services.price_service.models import Base
from services.price_service.notifier import EngineNotifier
from services.price_service.oracle_gateway import ChainUnavailable, OracleGateway
from services.price_service.settings import PriceServiceSettings
from services.price_service.sources import PriceSource, Quote, make_source
from shared.db import Database
from shared.evm.oracle import OnChainPrice
from shared.health import probe
from shared.logging import get_logger
from shared.periodic import Periodic
from shared.types import normalize_symbol

log = get_logger()

ORACLE_META_KEY = "oracle_address"


@dataclass(frozen=True)
class AssetPrice:
    symbol: str
    quote: Quote | None  # the last fetched quote
    onchain: OnChainPrice | None  # the oracle's price, as last read or pushed


class PriceService:
    def __init__(self, settings: PriceServiceSettings, *, source: PriceSource | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.metrics = PriceMetrics()
        self.db = Database(settings.database_url)
        self.registry = AssetRegistry(self.db, settings.max_tracked_assets)
        self.source = source or make_source(settings.cmc_api_key.get_secret_value(), settings.cmc_base_url,
                                            seed=settings.mock_seed, crash_probability=settings.mock_crash_probability,
                                            crash_bps=settings.mock_crash_bps)
        self.oracle = OracleGateway(settings.rpc_url, settings.oracle_address,
                                    settings.oracle_updater_private_key.get_secret_value())
        self.notifier = EngineNotifier(settings.liquidation_engine_url, settings.api_keys[0], settings.notify_attempts)
        self.keeper = PriceKeeper(settings, self.registry, self.source, self.oracle, self.notifier, self.metrics, clock)
        self.loop = Periodic("price-poll", settings.price_poll_interval, self._tick)
        self._ready = False

    async def start(self) -> None:
        await self.db.create_all(Base.metadata)
        await self.registry.load()
        self.notifier.start()
        self.loop.start()

    # --- what the HTTP API asks ------------------------------------------------------------

    @property
    def max_assets(self) -> int:
        return self.registry.max_assets

    def assets(self) -> list[Asset]:
        return self.registry.all()

    async def add_asset(self, symbol: str, name: str, now: int) -> Asset:
        """AssetExists or AssetLimitReached when it cannot be tracked; the next poll starts at once."""
        asset = await self.registry.add(symbol, name, now)
        log.info("Asset added", asset=asset.symbol, name=asset.name)
        self.loop.trigger()
        return asset

    async def remove_asset(self, symbol: str) -> Asset:
        """AssetNotFound for a symbol that is not tracked (or not a symbol at all)."""
        try:
            wanted = normalize_symbol(symbol)
        except ValueError:
            raise AssetNotFound(symbol) from None
        asset = await self.registry.remove(wanted)
        self.keeper.forget(asset.symbol)
        log.info("Asset removed", asset=asset.symbol)
        return asset

    def prices(self, symbols: list[str] | None = None) -> list[AssetPrice]:
        """Every tracked asset's price, or those asked for (AssetNotFound with the unknown ones)."""
        wanted = self.registry.symbols() if symbols is None else symbols
        unknown = [s for s in wanted if self.registry.get(s) is None]
        if unknown:
            raise AssetNotFound(unknown)
        return [AssetPrice(s, self.keeper.quotes.get(s), self.keeper.onchain.get(s)) for s in wanted]

    # --- the poll loop --------------------------------------------------------------------

    async def _tick(self, _scheduled: bool) -> None:
        if not self._ready:
            self._ready = await self._prepare_chain()
            if not self._ready:
                return
        await self.keeper.cycle()

    async def _prepare_chain(self) -> bool:
        """Find (or, in development, deploy) the oracle and read its prices back before any push."""
        try:
            if not self.oracle.address:
                self.oracle.address = await self.registry.get_meta(ORACLE_META_KEY) or ""
            if self.oracle.address and not await self.oracle.has_code():
                if self.settings.environment != "development" or not await self.oracle.reachable():
                    raise ChainUnavailable(f"no PriceOracle code at {self.oracle.address}")
                self.oracle.address = ""
            if not self.oracle.address:
                address = await self.oracle.deploy()
                await self.registry.set_meta(ORACLE_META_KEY, address)
                log.info("PriceOracle deployed", address=address)
            await self.keeper.load_onchain()
            return True
        except ChainUnavailable as exc:
            self.keeper.status.chain_error = str(exc)
            log.error("Price update failed", assets=self.registry.symbols(), error=str(exc))
            return False

    async def stop(self) -> None:
        await self.loop.stop()
        await self.notifier.drain(timeout=2.0)
        await self.notifier.close()
        await self.source.close()
        await self.oracle.close()
        await self.db.close()

    async def health(self) -> tuple[int, dict[str, Any]]:
        status = self.keeper.status
        now = int(time.time())
        tracked = len(self.registry.symbols())
        db_ok = await self.db.ping()
        chain_ok = await probe(self.oracle.reachable())
        last_success = status.last_fetch_success_at or status.started_at
        fetch_stale = tracked > 0 and now - last_success >= self.settings.fetch_stale_after
        checks = {
            "database": "ok" if db_ok else "unreachable",
            "chain": "ok" if chain_ok else "unreachable",
            "oracle": self.oracle.address or None,
            "priceSource": self.source.name,
            "lastFetch": "ok" if status.last_fetch_ok is not False else status.fetch_error,
            "lastOnChainUpdate": "ok" if status.last_update_ok is not False else "failed",
            "configError": status.config_error,
            "pendingJumps": sorted(status.pending_jumps),
        }
        if not db_ok or not chain_ok or fetch_stale or status.config_error:
            state = "unhealthy"
        elif status.last_fetch_ok is False or status.last_update_ok is False or status.chain_error:
            state = "degraded"
        else:
            state = "healthy"
        body = {
            "status": state,
            "service": "price-service",
            "trackedAssets": tracked,
            "lastFetchAt": status.last_fetch_at,
            "lastOnChainUpdateAt": self._last_onchain_at(),
            "checks": checks,
        }
        return (503 if state == "unhealthy" else 200), body

    def _last_onchain_at(self) -> int | None:
        times = [p.updated_at for p in self.keeper.onchain.values() if p.updated_at]
        return max(times) if times else None
