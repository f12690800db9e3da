"""Typed dependencies of the price service's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.price_service.service import PriceService


def get_service(request: Request) -> PriceService:
    service = request.app.state.service
    if not isinstance(service, PriceService):
        raise RuntimeError("the app was built without a PriceService")
    return service


PriceServiceDep = Annotated[PriceService, Depends(get_service)]
