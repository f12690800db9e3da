"""Typed dependencies of the liquidation engine's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.liquidation_engine.service import LiquidationEngine
from shared.app import service_of

EngineDep = Annotated[LiquidationEngine, Depends(service_of(LiquidationEngine))]
