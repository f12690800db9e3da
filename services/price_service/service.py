"""The price service: its parts wired in one place, its lifecycle, and what the HTTP API asks of it.

Triggers of the poll cycle: its schedule (PRICE_POLL_INTERVAL) and an asset being added.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from services.price_service.assets import Asset, AssetNotFound, AssetRegistry
from services.price_service.feed_records import FeedRecords
from services.price_service.feeds import FeedMisconfigured, FeedUnavailable, PriceFeed
from services.price_service.feeds.aztec import AztecFeedConfig, AztecPriceFeed
from services.price_service.feeds.evm_oracle import EvmFeedConfig, EvmOracleFeed
from services.price_service.health import Probes, assess
from services.price_service.keeper import PriceKeeper
from services.price_service.metrics import PriceMetrics
from services.price_service.models import MIGRATIONS, leases
from services.price_service.notifier import EngineFanout
from services.price_service.quotes import ConsensusRule, QuoteBook
from services.price_service.settings import PriceServiceSettings
from services.price_service.sources import PriceSource, Quote, make_sources
from shared.db import Database
from shared.feeds.kinds import AZTEC_FEED, EVM_ORACLE
from shared.feeds.onchain_price import OnChainPrice
from shared.health import CachedProbe, HealthReport
from shared.leases import Leadership
from shared.logging import get_logger
from shared.migrations import upgrade
from shared.periodic import Periodic
from shared.protocols import LendingRules, rules_for
from shared.pxe.gateways import PxeGateways
from shared.types import normalize_symbol

log = get_logger()

ORACLE_META_KEY = "oracle_address"
LEADER_LEASE = "price/leader"  # replicas on one database: the one that holds it pushes, the others stand by
PXE_SEND_TIMEOUT = 600.0
BALANCE_REFRESH = 15.0  # a real PXE proves a transaction before it answers pxe_sendTx


@dataclass(frozen=True)
class AssetPrice:
    symbol: str
    quote: Quote | None  # the last agreed quote
    onchain: OnChainPrice | None  # the feed's price, as last read or pushed
    no_price: dict[str, Any] | None  # why the last cycle agreed on no price, if it did not
    token: str | None = None  # the token the feed keys the price by (nocom-v1's feed), None when keyed by symbol


class PriceService:
    def __init__(self, settings: PriceServiceSettings, *, sources: Sequence[PriceSource] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.rules = rules_for(settings.protocol)
        self.metrics = PriceMetrics()
        self.db = Database(settings.database_url)
        self.registry = AssetRegistry(self.db, settings.max_tracked_assets)
        rule = ConsensusRule(settings.required_sources, settings.max_source_spread, settings.source_max_age)
        self.book = QuoteBook(list(sources) if sources is not None else make_sources(settings), rule, self.metrics, clock,
                              timeout=settings.source_timeout)
        self.feed = self._make_feed()
        self.notifier = EngineFanout(settings.liquidation_engine_url, settings.api_keys[0], settings.notify_attempts)
        self.keeper = PriceKeeper(settings, self.registry, self.book, self.feed, self.notifier, self.metrics, clock)
        self.loop = Periodic("price-poll", settings.price_poll_interval, self._tick)
        self.leadership = Leadership(self.db, leases, LEADER_LEASE, settings.instance_id, settings.lease_ttl)
        self.lease_loop = Periodic("price-lease", self.leadership.interval, lambda _scheduled: self._renew())
        self.keeper.may_send = self._may_send
        self._renewing = asyncio.Lock()  # the lease loop, the poll and a push renew one at a time
        self._feed_probe = CachedProbe(self.feed.reachable)
        self._ready = False
        self._balance_at, self._last_balance = float("-inf"), None  # type: tuple[float, int | None]
        self.feed_error: str | None = None  # a configuration the feed cannot work with

    def _make_feed(self) -> PriceFeed:
        """The feed the protocol reads (its module's PRICE_FEED): the EVM PriceOracle or the Aztec feed."""
        writers = {EVM_ORACLE: self._evm_oracle_feed, AZTEC_FEED: self._aztec_feed}
        return writers[self.rules.PRICE_FEED]()

    def _aztec_feed(self) -> PriceFeed:
        """Sends through the PXE_SEND_URL gateways, reads through PXE_READ_URL's (the same ones by default)."""
        s, rules = self.settings, self.rules
        send = PxeGateways(s.pxe_urls("send"), reads=rules.READS, send_timeout=PXE_SEND_TIMEOUT)
        read = send if s.pxe_urls("read") == s.pxe_urls("send") else PxeGateways(s.pxe_urls("read"), reads=rules.READS)
        records = FeedRecords(self.db)
        return AztecPriceFeed(send, AztecFeedConfig(s.price_feed_address, s.price_feed_admin_secret_key.get_secret_value(),
                                                    s.asset_token_map, rules.PRICE_DECIMALS, _max_assets(rules)),
                              records.load, records.save, read=read)

    def _evm_oracle_feed(self) -> PriceFeed:
        s = self.settings
        config = EvmFeedConfig(s.rpc_url, s.oracle_address, s.oracle_updater_private_key.get_secret_value(),
                               s.tx_replace_after, s.max_fee_per_gas_gwei, s.rpc_max_lag_blocks,
                               development=s.environment == "development", chain_id=s.chain_id)
        return EvmOracleFeed(config, lambda: self.registry.get_meta(ORACLE_META_KEY),
                             lambda address: self.registry.set_meta(ORACLE_META_KEY, address),
                             on_replaced=self.metrics.replacements.inc)

    async def start(self) -> None:
        await upgrade(self.db, MIGRATIONS)
        await self.registry.load()
        self.notifier.start()
        if self.leadership.shared:
            await self._renew()  # lead from the first cycle when no other replica does
            self.lease_loop.start(run_first=False)
        self.metrics.leader.set(1 if self.leadership.leading else 0)
        self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()
        await self.keeper.stop()  # the lease is renewed meanwhile: no standby sends beside this push
        await self.lease_loop.stop()
        await self.leadership.release()
        await self.notifier.drain(timeout=2.0)
        await self.notifier.close()
        await self.book.close()
        await self.feed.close()
        await self.db.close()

    # --- the poll loop --------------------------------------------------------------------

    async def _tick(self, _scheduled: bool) -> None:
        if self.leadership.shared:
            for symbol in await self.registry.load():  # replicas share the assets: follow the other's changes
                self.keeper.forget(symbol)
            await self._renew()
        if not self.leadership.leading:
            await self.keeper.cycle(push=False)  # a standby's /prices stays current; it never sends
            return
        if not self._ready:
            self._ready = await self._prepare_feed()
            if not self._ready:
                return
        await self.keeper.cycle()

    async def _renew(self) -> None:
        """Renew or try the leader's lease. Taking over: prepare the feed again (pending transactions
        resolved, nonce re-read) and poll now. Losing it: stop sending at once."""
        async with self._renewing:
            was = self.leadership.leading
            leads = await self.leadership.renew()
            if leads and not was:
                self._ready = False
                self.loop.trigger()
            elif was and not leads:
                self._ready = False
                self.keeper.abandon()
            self.metrics.leader.set(1 if leads else 0)

    async def _may_send(self) -> bool:
        """Before each push: the lease renewed, and held all along (a lease regained needs preparing)."""
        if not self.leadership.shared:
            return True
        if not self.leadership.leading:
            return False
        await self._renew()
        return self.leadership.leading

    async def _prepare_feed(self) -> bool:
        """Find the feed (in development, deploy an oracle), resolve what is pending, read the prices back."""
        try:
            await self.feed.prepare()
            await self.keeper.load_onchain()
        except FeedMisconfigured as exc:
            self.feed_error = str(exc)
            log.error("Price feed misconfigured", error=str(exc))
            return False
        except FeedUnavailable as exc:
            self.keeper.status.chain_error = str(exc)
            self.metrics.update_failures.inc()
            log.error("Price update failed", assets=self.registry.symbols(), error=str(exc))
            return False
        self.feed_error = None
        return True

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
        no_price = self.book.no_price
        return [AssetPrice(s, self.keeper.quotes.get(s), self.keeper.onchain.get(s),
                           no_price[s].as_dict() if s in no_price else None, self.feed.token_of(s)) for s in wanted]

    @property
    def price_decimals(self) -> int:
        return self.feed.decimals

    async def health(self) -> HealthReport:
        tracked = len(self.registry.symbols())
        database, feed = await asyncio.gather(self.db.state("assets"), self._feed_probe())
        balance = await self._balance()
        self.metrics.rpc_failovers.set(getattr(self.feed, "failovers", lambda: 0)())
        config_error = self.feed_error or self.book.config_error
        leader = self.leadership.leader_id
        state, checks = assess(self.settings, self.keeper, tracked, Probes(database, feed, balance, leader), config_error)
        return HealthReport(state, {
            "service": "price-service",
            "trackedAssets": tracked,
            "lastFetchAt": self.keeper.status.last_fetch_at,
            "lastOnChainUpdateAt": self._last_onchain_at(),
            "role": self.leadership.role,
            "instanceId": self.leadership.instance_id,
            "leaderId": self.leadership.leader_id,
            "checks": checks,
        })

    async def _balance(self) -> int | None:
        """The updater's balance (EVM feeds), read at most every BALANCE_REFRESH seconds."""
        read = getattr(self.feed, "balance", None)
        if read is None:
            return None
        if time.monotonic() - self._balance_at >= BALANCE_REFRESH:
            self._balance_at, self._last_balance = time.monotonic(), await read()
            if self._last_balance is not None:
                self.metrics.updater_balance.set(self._last_balance / 10**18)
        return self._last_balance

    def _last_onchain_at(self) -> int | None:
        times = [p.updated_at for p in self.keeper.onchain.values() if p.updated_at]
        return max(times) if times else None


def _max_assets(rules: LendingRules) -> int:
    return int(getattr(rules, "MAX_FEED_ASSETS_PER_CALL", 4))

