"""HTTP routes of the liquidation engine: thin, the work happens in the service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.liquidation_engine.api.deps import EngineDep
from services.liquidation_engine.api.schemas import (
    Accepted,
    LiquidationList,
    PriceUpdateBody,
    StatusFilter,
    liquidation_out,
)
from shared.auth import protected_router
from shared.errors import error_responses

router = APIRouter()
protected = protected_router()



@protected.post("/price-update", status_code=202, response_model=Accepted, responses=error_responses(400, 401, 413, 422))
async def price_update(body: PriceUpdateBody, engine: EngineDep) -> dict[str, int]:
    engine.price_update([(u.asset, u.timestamp) for u in body.updates])
    return {"accepted": len(body.updates)}


@protected.get("/liquidations", response_model=LiquidationList, responses=error_responses(401, 422))
async def list_liquidations(
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    status: Annotated[StatusFilter | None, Query(description="one status, or empty for all")] = None,
) -> dict[str, Any]:
    rows = await engine.liquidations(limit, status or None)
    return {"liquidations": [liquidation_out(r, engine.rules.PRICE_DECIMALS) for r in rows]}
