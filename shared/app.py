"""The one way to build and start a service: its lifecycle, errors, body limit, metrics, GET /health,
the typed dependency its routes take, and `run` (what each `python -m services.<service>` calls)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared import VERSION
from shared.errors import BodySizeLimit, install_error_handlers
from shared.health import HealthReport
from shared.logging import configure_logging, get_logger
from shared.metrics import Metrics, metrics_router
from shared.settings import ServiceSettings, load_settings_or_exit

log = get_logger()


S = TypeVar("S", bound=ServiceSettings)
T = TypeVar("T")


class Lifecycle(Protocol):
    """A service's domain: started before the first request, stopped after the last, and able to say
    how it is (GET /health)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def health(self) -> HealthReport: ...


def create_service_app(
    settings: ServiceSettings,
    service: Lifecycle,
    metrics: Metrics,
    routers: Sequence[APIRouter],
    health_model: type[BaseModel],
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
    app.include_router(_health_router(service, health_model))
    for router in routers:
        app.include_router(router)
    return app


def _health_router(service: Lifecycle, model: type[BaseModel]) -> APIRouter:
    router = APIRouter()

    @router.get("/health", response_model=model, responses={503: {"model": model}})
    async def health() -> JSONResponse:
        report = await service.health()
        return JSONResponse(report.body, status_code=report.http_status)

    return router


def service_of(cls: type[T]) -> Callable[[Request], T]:
    """The dependency giving a route the service the app was built with:
    `Annotated[NoteMonitor, Depends(service_of(NoteMonitor))]` in each service's `api/deps.py`."""

    def service(request: Request) -> T:
        found = request.app.state.service
        if not isinstance(found, cls):
            raise RuntimeError(f"the app was built without a {cls.__name__}")
        return found

    return service


def run(settings_class: type[S], create_app: Callable[[S], FastAPI]) -> None:
    """`python -m services.<service>`: settings (a bad one stops here with one line and exit code 2),
    logging, then the app until SIGINT/SIGTERM."""
    settings = load_settings_or_exit(settings_class)
    setup_logging(settings)
    serve(create_app(settings), settings)


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
