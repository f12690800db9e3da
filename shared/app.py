"""The app factory and runner every service uses: lifecycle hooks, errors, body limit, metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import uvicorn
from fastapi import APIRouter, FastAPI

from shared import VERSION
from shared.errors import BodySizeLimit, install_error_handlers
from shared.logging import configure_logging, get_logger
from shared.metrics import Metrics, metrics_router
from shared.settings import ServiceSettings

log = get_logger()


class Lifecycle(Protocol):
    """A service's domain: started before the first request, stopped after the last."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def create_service_app(
    settings: ServiceSettings,
    service: Lifecycle,
    metrics: Metrics,
    routers: Sequence[APIRouter],
    description: str = "",
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        log.info("Service started", port=settings.port, version=VERSION, settings=settings.masked())
        if settings.api_key_generated:
            log.warning("API key generated", reason="LIQUIDATION_API_KEY is not set; development only",
                        hint="set LIQUIDATION_API_KEY to call the authenticated endpoints")
        try:
            yield
        finally:
            await service.stop()
            log.info("Service stopped", port=settings.port, version=VERSION)

    app = FastAPI(title=settings.service_name, version=VERSION, description=description, lifespan=lifespan)
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.service = service
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(metrics_router)
    for router in routers:
        app.include_router(router)
    return app


def setup_logging(settings: ServiceSettings) -> None:
    configure_logging(settings.service_name, settings.log_level, settings.log_format)


def serve(app: FastAPI, settings: ServiceSettings, **uvicorn_options: Any) -> None:
    """Run until SIGINT/SIGTERM; uvicorn drives the lifespan so stop hooks always run."""
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_config=None, access_log=False, lifespan="on", **uvicorn_options
    )
    server = uvicorn.Server(config)
    asyncio.run(server.serve())
    if not server.started:
        raise SystemExit(1)
