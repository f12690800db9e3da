"""HTTP routes of the liquidation engine: thin, the work happens in the service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from services.liquidation_engine.schemas import (
    STATUSES, Accepted, Health, LiquidationList, PriceUpdateBody, liquidation_out,
)
from services.liquidation_engine.service import LiquidationEngine
from shared.auth import require_api_key

router = APIRouter()
protected = APIRouter(dependencies=[Depends(require_api_key)])


def engine(request: Request) -> LiquidationEngine:
    return request.app.state.service  # type: ignore[no-any-return]


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(request: Request) -> JSONResponse:
    status, body = await engine(request).health()
    return JSONResponse(body, status_code=status)


@protected.post("/price-update", status_code=202, response_model=Accepted)
async def price_update(body: PriceUpdateBody, request: Request) -> dict[str, int]:
    engine(request).price_update(list(dict.fromkeys(u.asset for u in body.updates)))
    return {"accepted": len(body.updates)}


@protected.get("/liquidations", response_model=LiquidationList)
async def list_liquidations(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    status: str | None = Query(None, description="submitted | succeeded | failed | skipped"),
) -> dict[str, Any]:
    wanted = status or None
    if wanted is not None and wanted not in STATUSES:
        raise HTTPException(422, f"status must be one of {', '.join(STATUSES)}")
    rows = await engine(request).store.recent(limit, wanted)
    return {"liquidations": [liquidation_out(r) for r in rows]}
