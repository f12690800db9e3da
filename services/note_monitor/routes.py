"""HTTP routes: thin translations between the wire and NoteMonitor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from services.note_monitor.registry import EscrowExists, EscrowNotFound, EscrowRejected, PxeUnavailable
from services.note_monitor.schemas import (
    EscrowList, EscrowOut, Health, PositionOut, PositionPage, RegisterEscrow, SyncAccepted,
    escrow_out, normalize_asset, position_out,
)
from services.note_monitor.service import NoteMonitor
from shared.auth import require_api_key
from shared.pxe.fields import normalize_address

router = APIRouter()
protected = APIRouter(dependencies=[Depends(require_api_key)])


def monitor(request: Request) -> NoteMonitor:
    return request.app.state.service


def address_or_404(value: str, what: str = "Escrow") -> str:
    try:
        return normalize_address(value)
    except ValueError:
        raise HTTPException(404, f"{what} not found") from None


@router.get("/health", response_model=Health)
async def health(request: Request) -> JSONResponse:
    body = await monitor(request).health()
    return JSONResponse(body, status_code=503 if body["status"] == "unhealthy" else 200)


@protected.post("/escrows", status_code=201, response_model=EscrowOut)
async def register_escrow(body: RegisterEscrow, request: Request) -> dict[str, Any]:
    try:
        escrow = await monitor(request).registry.register(body.address, body.secret_key, body.instance)
    except EscrowExists as exc:
        raise HTTPException(409, str(exc)) from None
    except EscrowRejected as exc:
        raise HTTPException(422, str(exc)) from None
    except PxeUnavailable as exc:
        raise HTTPException(503, str(exc)) from None
    return escrow_out(escrow)


@protected.get("/escrows", response_model=EscrowList)
async def list_escrows(request: Request) -> dict[str, Any]:
    escrows = [escrow_out(e) for e in monitor(request).registry.listed()]
    return {"escrows": escrows, "count": len(escrows)}


@protected.delete("/escrows/{address}", response_model=EscrowOut)
async def remove_escrow(address: str, request: Request) -> dict[str, Any]:
    try:
        escrow = await monitor(request).registry.remove(address_or_404(address))
    except EscrowNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return escrow_out(escrow)


@protected.get("/positions", responses={200: {"model": PositionPage}})
async def list_positions(
    request: Request,
    limit: int = Query(100, ge=1, le=5000),
    offset: int = Query(0, ge=0),
    asset: str | None = Query(None, max_length=32, description="keeps positions whose collateral or debt is this asset"),
    since_version: int | None = Query(None, alias="sinceVersion", ge=0),
) -> JSONResponse:
    # Built by hand rather than through a response_model: this is the hot path of the engine's polling.
    try:
        wanted = normalize_asset(asset)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    index = monitor(request).index
    version = index.version
    if since_version is None:
        page, total = index.page(limit, offset, wanted)
    else:
        changes = index.since(since_version, wanted)
        page, total = changes[offset : offset + limit], len(changes)
    return JSONResponse(
        {"positions": [position_out(p) for p in page], "total": total, "limit": limit, "offset": offset, "version": version}
    )


@protected.get("/positions/{escrow}", response_model=PositionOut)
async def get_position(escrow: str, request: Request) -> dict[str, Any]:
    position = monitor(request).index.get(address_or_404(escrow, "Position"))
    if position is None:
        raise HTTPException(404, "Position not found")
    return position_out(position)


@protected.post("/sync", status_code=202, response_model=SyncAccepted)
async def trigger_sync(request: Request) -> dict[str, str]:
    monitor(request).trigger_sync()
    return {"status": "accepted"}
