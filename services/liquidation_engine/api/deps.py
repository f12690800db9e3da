"""Typed dependencies of the liquidation engine's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.liquidation_engine.service import LiquidationEngine


def get_engine(request: Request) -> LiquidationEngine:
    service = request.app.state.service
    if not isinstance(service, LiquidationEngine):
        raise RuntimeError("the app was built without a LiquidationEngine")
    return service


EngineDep = Annotated[LiquidationEngine, Depends(get_engine)]
