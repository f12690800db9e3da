"""Typed dependencies of the price service's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.price_service.service import PriceService
from shared.app import service_of

PriceServiceDep = Annotated[PriceService, Depends(service_of(PriceService))]
