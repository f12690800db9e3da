"""The price service's ASGI app: the PriceService behind its routes."""

from __future__ import annotations

from fastapi import FastAPI

from services.price_service.api.routes import protected, router
from services.price_service.api.schemas import Health
from services.price_service.service import PriceService
from services.price_service.settings import PriceServiceSettings
from shared.app import create_service_app


def create_app(settings: PriceServiceSettings, service: PriceService | None = None) -> FastAPI:
    svc = service or PriceService(settings)
    return create_service_app(settings, svc, svc.metrics, [router, protected], Health,
                              description="Keeps the on-chain PriceOracle fresh from the price sources.")
