"""The one way to build and start a service: its lifecycle, errors, body limit, metrics, GET /health,
the typed dependency its routes take, and `run` (what each `python -m services.<service>` calls)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import NoReturn, Protocol, TypeVar

import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared import VERSION
from shared.errors import BodySizeLimit, install_error_handlers
from shared.health import HealthReport
from shared.logging import configure_logging, get_logger, mask
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
        await start_service(settings, service)
        try:
            yield
        finally:
            await stop_service(settings, service)

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


async def start_service(settings: ServiceSettings, service: Lifecycle) -> None:
    await service.start()
    log.info("Service started", port=settings.port, version=VERSION, settings=settings.masked())
    if settings.api_key_generated:
        log.warning("API key generated", reason="LIQUIDATION_API_KEY is not set; development only",
                    hint="set LIQUIDATION_API_KEY to call the authenticated endpoints")


async def stop_service(settings: ServiceSettings, service: Lifecycle) -> None:
    await service.stop()
    log.info("Service stopped", port=settings.port, version=VERSION)


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
    """`python -m services.<service>`: settings, logging, the service started, then the app until SIGINT or
    SIGTERM. A bad setting, or a start that cannot succeed (a database that does not exist or refuses
    writes, say), stops here with one line naming the cause and exit code 2, never a traceback."""
    settings = load_settings_or_exit(settings_class)
    setup_logging(settings)
    try:
        app = create_app(settings)
    except Exception as exc:  # noqa: BLE001 - e.g. a DATABASE_URL its driver refuses
        _cannot_start(settings, exc)
    raise SystemExit(asyncio.run(_serve(app, settings)))


async def _serve(app: FastAPI, settings: ServiceSettings) -> int:
    service: Lifecycle = app.state.service
    try:
        await start_service(settings, service)
    except Exception as exc:  # noqa: BLE001 - any failure to start is reported the same way
        await _stop_quietly(service)
        _cannot_start(settings, exc)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    try:
        await server.serve()
    finally:
        await stop_service(settings, service)
    return 0 if server.started else 1


async def _stop_quietly(service: Lifecycle) -> None:
    try:
        await service.stop()
    except Exception:  # noqa: BLE001 - it never fully started; what matters is the cause reported next
        pass


def _cannot_start(settings: ServiceSettings, exc: BaseException) -> NoReturn:
    reason = str(mask(" ".join(str(exc).split()) or type(exc).__name__))[:300]
    log.error("Service failed to start", error=reason)
    print(f"{settings.service_name}: cannot start: {reason}", file=sys.stderr)
    raise SystemExit(2)


def setup_logging(settings: ServiceSettings) -> None:
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
