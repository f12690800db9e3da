"""What GET /health says about the liquidation engine, and why (docs/http-api.md, Health).

unhealthy (503), the work has stopped: the database does not answer, refuses writes (read-only) or lost
the engine's schema (`Database.state`); or, engines sharing PostgreSQL, this engine holds no membership
lease, so it claims no liquidation (and says when no engine at all is live).
degraded, the work goes on but something is wrong: a PXE gateway or the note monitor does not answer,
the feed cannot be read, or a price the positions need is unavailable or stale (nocom-v1 with a price
service that does not answer: no price has a known age, none is used).
The feed's age is shown (`checks.feedAge`); unknown is a configuration, not a fault (README.md,
PRICE_SERVICE_URL).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.monitor_client import MonitorClient
from services.liquidation_engine.oracle_prices import OraclePrices, PriceSnapshot
from services.liquidation_engine.position_copy import PositionCopy
from services.liquidation_engine.pxe_roles import PxeRoles
from shared.db import Database, DatabaseState
from shared.feeds.onchain_price import PricesUnavailable
from shared.health import PROBE_TIMEOUT, CachedProbe, Status, probe

TABLE = "liquidations"
GATEWAY_TIMEOUT = PROBE_TIMEOUT * 0.75  # within the probe's own bound, so the per-gateway view is never stale


@dataclass(frozen=True)
class Found:
    """What the health call found, each read at most a moment ago."""

    database: DatabaseState
    pxe_ok: bool
    gateways: dict[str, dict[str, bool]]  # role -> gateway URL -> answers
    monitor_ok: bool
    prices_error: str | None
    shared: bool  # engines share a PostgreSQL database
    claiming: bool  # this engine's membership lease is held: it claims liquidations
    engines: list[dict[str, object]]


def assess(found: Found) -> tuple[Status, dict[str, Any]]:
    live = [e for e in found.engines if e.get("live")]
    pxe_ok = found.pxe_ok
    stopped = found.database != "ok" or (found.shared and not found.claiming)
    status: Status = "unhealthy" if stopped else "degraded" if not (pxe_ok and found.monitor_ok) or found.prices_error \
        else "healthy"
    checks: dict[str, Any] = {
        "database": found.database,
        "claiming": _claiming(found, len(live)),
        "pxeGateways": {role: {_shown(url): ok for url, ok in urls.items()} for role, urls in found.gateways.items()},
        "oracle": found.prices_error or "ok",
    }
    return status, checks


def _claiming(found: Found, live: int) -> str:
    if not found.shared:
        return "ok"
    if found.claiming:
        return f"ok ({live} engine{'s' if live != 1 else ''} live)"
    if not live:
        return "no engine claims liquidations: no engine holds a live membership lease on the shared database"
    return "this engine claims no liquidation: its membership lease on the shared database is not held"


def _shown(url: str) -> str:
    """A gateway as /health shows it: never a password its URL may carry."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


class Probes:
    """The live checks behind /health, each run at most once a moment (CachedProbe); what each found
    beyond yes or no is kept beside it."""

    def __init__(self, db: Database, gateways: PxeRoles, monitor: MonitorClient, prices: OraclePrices,
                 positions: PositionCopy, metrics: EngineMetrics, fed: Callable[[], list[str]] = list) -> None:
        self.db, self.roles, self.prices, self.positions, self.metrics = db, gateways, prices, positions, metrics
        self.fed = fed  # the assets the price service keeps on the feed (nocom-v1), read before any position
        self.prices_read: dict[str, str] = {}  # what the last probe read and could use, in the feed's units
        self.database_state: DatabaseState = "unreachable"
        self.gateways: dict[str, dict[str, bool]] = {}
        self.oracle_error: str | None = None
        self.database = CachedProbe(self._database)
        self.pxe = CachedProbe(self._pxe)
        self.monitor = CachedProbe(monitor.reachable)
        self.oracle = CachedProbe(self._oracle)

    async def _database(self) -> bool:
        self.database_state = await self.db.state(TABLE)
        return self.database_state == "ok"

    async def _pxe(self) -> bool:
        send, read = await asyncio.gather(*(_ready(role.clients) for role in (self.roles.send, self.roles.read)))
        self.gateways = {"send": send, "read": read}
        return all(send.values()) and all(read.values())

    async def _oracle(self) -> bool:
        """The prices of the assets we hold positions in usable now; with no position, those the price service
        keeps on the feed (when none is known either, that the feed answers)."""
        held = sorted({asset for pair in self.positions.pairs() for asset in pair})
        try:
            if held:
                snapshot = await self.prices.snapshot(held)
                self.oracle_error = _unusable(snapshot)
            elif fed := self.fed():
                snapshot = await self.prices.snapshot(fed)
                self.oracle_error = None if snapshot.usable else _unusable(snapshot)
            else:
                await self.prices.reader.read(["BTC"])
                snapshot, self.oracle_error = PriceSnapshot({}, {}, []), None
            self.prices_read = {asset: str(price) for asset, price in sorted(snapshot.usable.items())[:50]}
        except PricesUnavailable as exc:
            self.oracle_error = str(exc)
            self.metrics.oracle_failures.inc()
        self.metrics.oracle_up.set(0 if self.oracle_error else 1)
        return self.oracle_error is None


def _unusable(snapshot: PriceSnapshot) -> str | None:
    """Why some prices the positions need cannot be used (no liquidation of theirs happens), or None."""
    parts = ([f"price unavailable: {', '.join(snapshot.missing)}"] if snapshot.missing else []) + \
        ([f"price stale: {', '.join(sorted(snapshot.stale))}"] if snapshot.stale else [])
    return "; ".join(parts) or None


async def _ready(clients: list[Any]) -> dict[str, bool]:
    """Each gateway's answer, bounded in time: a frozen one is not ready (and never holds the others up)."""
    answers = await asyncio.gather(*(probe(client.is_ready(), GATEWAY_TIMEOUT) for client in clients))
    return {client.url: ok for client, ok in zip(clients, answers, strict=True)}
