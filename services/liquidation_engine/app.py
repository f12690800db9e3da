"""The liquidation engine's ASGI app."""

from __future__ import annotations

from fastapi import FastAPI

from services.liquidation_engine.api.routes import protected, router
from services.liquidation_engine.api.schemas import Health
from services.liquidation_engine.service import LiquidationEngine
from services.liquidation_engine.settings import LiquidationEngineSettings
from shared.app import create_service_app


def create_app(settings: LiquidationEngineSettings, service: LiquidationEngine | None = None) -> FastAPI:
    svc = service or LiquidationEngine(settings)
    return create_service_app(settings, svc, svc.metrics, [router, protected], Health,
                              description="Liquidates undercollateralised positions through the PXE.")
