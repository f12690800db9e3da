"""The naive path the engine is measured against: pull every position over HTTP, Decimal health factors."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from services.liquidation_engine.planning.evaluate import Finding
from shared.positions import Position
from shared.protocols import reference


def naive_evaluate(items: list[dict[str, Any]], collateral_price: int, debt_price: int, now: int) -> list[Finding]:
    """What a straightforward implementation does: Decimal health factors from the wire strings."""
    found = []
    cp, dp = Decimal(collateral_price), Decimal(debt_price)
    for item in items:
        principal = int(item["debtPrincipal"])
        debt = reference.total_debt(principal, int(item["debtEpoch"]), now)
        if debt <= 0:
            continue
        hf = (Decimal(item["collateralAmount"]) * cp * Decimal(item["liquidationThresholdBps"])) / (Decimal(debt) * dp * 10_000)
        if hf < 1:
            p = Position.from_wire(item)
            found.append(Finding(p, debt, collateral_price, debt_price, reference))
    return found


async def pull_all(http: httpx.AsyncClient, url: str, api_key: str) -> list[dict[str, Any]]:
    """Every position the monitor holds, page by page over its HTTP API."""
    items: list[dict[str, Any]] = []
    offset = 0
    while True:
        r = await http.get(f"{url}/positions", params={"limit": 5000, "offset": offset}, headers={"X-API-Key": api_key})
        body = json.loads(r.content, parse_float=Decimal)
        items.extend(body["positions"])
        offset += len(body["positions"])
        if not body["positions"] or offset >= body["total"]:
            return items


def to_wire(p: Position, collateral_asset: str, debt_asset: str, threshold_bps: int) -> dict[str, Any]:
    """A position as the monitor's API sends it, for evaluating the engine's copy the naive way."""
    return {"escrow": p.escrow, "pool": p.pool, "collateralAsset": collateral_asset, "collateralToken": p.collateral_token,
            "collateralAmount": str(p.collateral_amount), "debtAsset": debt_asset, "debtToken": p.debt_token,
            "debtPrincipal": str(p.debt_principal), "debtEpoch": p.debt_epoch, "liquidationThresholdBps": threshold_bps,
            "syncedAt": p.synced_at, "blockNumber": p.block_number, "version": p.version}
