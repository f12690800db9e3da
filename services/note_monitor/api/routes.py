"""HTTP routes: thin translations between the wire and NoteMonitor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse

from services.note_monitor.api.deps import MonitorDep
from services.note_monitor.api.schemas import (
    EscrowList,
    EscrowOut,
    PositionPage,
    RegisterEscrow,
    SyncAccepted,
    escrow_out,
)
from services.note_monitor.errors import EscrowExists, EscrowNotFound, EscrowRejected, PxeUnavailable, StoreUnavailable
from shared.auth import protected_router
from shared.errors import InputRejected, error_responses
from shared.positions import PositionOut
from shared.types import Address, Symbol

router = APIRouter()
protected = protected_router()

MAX_PAGE = 5000



@protected.post("/escrows", status_code=201, response_model=EscrowOut,
                responses=error_responses(400, 401, 409, 413, 422, 503))
async def register_escrow(body: RegisterEscrow, monitor: MonitorDep) -> dict[str, Any]:
    try:
        escrow = await monitor.register(body.address, body.secret_key, body.instance, body.owner, body.pool)
    except EscrowExists as exc:
        raise HTTPException(409, str(exc)) from None
    except EscrowRejected as exc:
        raise InputRejected(exc.field, str(exc)) from None
    except (PxeUnavailable, StoreUnavailable) as exc:
        raise HTTPException(503, str(exc)) from None
    return escrow_out(escrow)


@protected.get("/escrows", response_model=EscrowList, responses=error_responses(401))
async def list_escrows(monitor: MonitorDep) -> dict[str, Any]:
    await monitor.follow()
    escrows = [escrow_out(e, monitor.problem(e.address)) for e in monitor.escrows()]
    return {"escrows": escrows, "count": len(escrows)}


@protected.delete("/escrows/{address}", response_model=EscrowOut, responses=error_responses(401, 404, 422, 503))
async def remove_escrow(address: Address, monitor: MonitorDep) -> dict[str, Any]:
    try:
        escrow = await monitor.remove(address)
    except EscrowNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except StoreUnavailable as exc:
        raise HTTPException(503, str(exc)) from None
    return escrow_out(escrow)


@protected.get("/positions", response_model=PositionPage, responses=error_responses(401, 422))
async def list_positions(
    monitor: MonitorDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    asset: Annotated[Symbol | None, Query(description="keeps positions whose collateral or debt is this asset")] = None,
    since_version: Annotated[int | None, Query(alias="sinceVersion", ge=0)] = None,
) -> JSONResponse:
    # Built by hand rather than through the response_model: this is the hot path of the engine's polling.
    await monitor.follow()
    page, total, version = monitor.positions_page(limit, offset, asset, since_version)
    return JSONResponse({"positions": [p.to_wire() for p in page], "total": total, "limit": limit,
                         "offset": offset, "version": version})


@protected.get("/positions/{escrow}", response_model=PositionOut, responses=error_responses(401, 404, 422))
async def get_position(escrow: Address, monitor: MonitorDep) -> dict[str, Any]:
    await monitor.follow()
    position = monitor.position(escrow)
    if position is None:
        raise HTTPException(404, "Position not found")
    return position.to_wire()


@protected.post("/sync", status_code=202, response_model=SyncAccepted, responses=error_responses(401))
async def trigger_sync(monitor: MonitorDep) -> dict[str, str]:
    monitor.trigger_sync()
    return {"status": "accepted"}
