"""What GET /health says about the price service, and why (docs/http-api.md, Health).

unhealthy (503): the database is unreachable, refuses writes or lost its schema (`Database.state`), the
feed is unreachable, no fetch succeeded for FETCH_STALE_AFTER while assets are tracked, a configuration
error, or no poll cycle completed for WATCHDOG_TIMEOUT (a silent hang). degraded: the last fetch failed or
is older than twice the poll interval, the last on-chain update failed, an update has been pending too
long, sources disagree on an asset, an agreed price cannot go on the feed, the updater's balance is below
MIN_UPDATER_BALANCE, or no replica leads (replicas on PostgreSQL: nothing is pushed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.price_service.keeper import PriceKeeper
from services.price_service.settings import PriceServiceSettings
from shared.db import DatabaseState
from shared.health import Status

WEI_PER_ETHER = Decimal(10**18)


@dataclass(frozen=True)
class Probes:
    database: DatabaseState
    feed: bool
    balance_wei: int | None  # None: not an EVM feed, or unknown
    leader: str | None = "self"  # who holds the leader lease; None: nobody (replicas on PostgreSQL)


def assess(settings: PriceServiceSettings, keeper: PriceKeeper, tracked: int, probes: Probes,
           config_error: str | None) -> tuple[Status, dict[str, Any]]:
    """The status and the checks behind it."""
    now = time.time()
    status = keeper.status
    last_success = status.last_fetch_success_at or status.started_at
    cycle_age = time.monotonic() - status.last_cycle_at if status.last_cycle_at else now - status.started_at
    pending = keeper.pending_for()
    pending_limit = max(2 * settings.tx_replace_after, 2 * settings.price_poll_interval)
    low_balance = probes.balance_wei is not None and \
        Decimal(probes.balance_wei) < settings.min_updater_balance * WEI_PER_ETHER
    disagreeing = {s: n.reason.value for s, n in keeper.book.no_price.items()}
    checks: dict[str, Any] = {
        "database": probes.database,
        "chain": "ok" if probes.feed else "unreachable",
        "chainError": status.chain_error,
        "feed": keeper.feed.address or None,
        "leader": "none: no replica holds the leader lease, nothing is pushed" if probes.leader is None else "ok",
        "rpcEndpoint": getattr(keeper.feed, "endpoint_in_use", None),
        "rpcEndpoints": getattr(keeper.feed, "endpoints", list)(),
        "priceSources": {name: s.error or "ok" for name, s in keeper.book.status.items()},
        "lastFetch": "ok" if status.last_fetch_ok is not False else "failed",
        "lastFetchAgeSeconds": int(now - status.last_fetch_at) if status.last_fetch_at else None,
        "lastOnChainUpdate": "ok" if status.last_update_ok is not False else status.update_error or "failed",
        "pendingUpdate": {"assets": keeper.push.assets, "seconds": round(pending)} if pending and keeper.push else None,
        "noAgreedPrice": disagreeing,
        "unpushable": dict(status.unpushable),
        "updaterBalanceEther": str(Decimal(probes.balance_wei) / WEI_PER_ETHER) if probes.balance_wei is not None else None,
        "lastCycleSecondsAgo": round(cycle_age),
        "configError": config_error,
        "pendingJumps": sorted(keeper.guard.pending),
    }
    unhealthy = (probes.database != "ok" or not probes.feed or config_error is not None or cycle_age > settings.watchdog_seconds
                 or (tracked > 0 and now - last_success >= settings.fetch_stale_seconds))
    fetch_old = tracked > 0 and status.last_fetch_at is not None and now - status.last_fetch_at > 2 * settings.price_poll_interval
    degraded = (status.last_fetch_ok is False or fetch_old or status.last_update_ok is False or status.chain_error is not None
                or pending > pending_limit or bool(disagreeing) or low_balance or bool(status.unpushable)
                or probes.leader is None)
    return ("unhealthy" if unhealthy else "degraded" if degraded else "healthy"), checks
