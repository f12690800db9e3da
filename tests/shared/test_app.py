import json

import httpx
import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel

from shared.app import create_service_app
from shared.auth import require_api_key
from shared.health import HealthReport, Status
from shared.logging import configure_logging
from shared.metrics import Metrics
from shared.settings import ServiceSettings, load_settings
from tests.conftest import OTHER_API_KEY, TEST_API_KEY


class DemoSettings(ServiceSettings):
    service_name = "price-service"

    @property
    def port(self) -> int:
        return 3000


class DemoHealth(BaseModel):
    status: Status
    service: str


class Body(BaseModel):
    symbol: str


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.status: Status = "healthy"

    async def start(self) -> None:
        self.events.append("start")

    async def stop(self) -> None:
        self.events.append("stop")

    async def health(self) -> HealthReport:
        return HealthReport(self.status, {"service": "demo"})


router = APIRouter()


@router.post("/things", dependencies=[Depends(require_api_key)], status_code=201)
async def create_thing(body: Body) -> dict[str, str]:
    return {"symbol": body.symbol}


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internals")


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LIQUIDATION_API_KEY", f"{TEST_API_KEY},{OTHER_API_KEY}")
    settings = load_settings(DemoSettings, max_body_bytes=2048)
    configure_logging("price-service")
    return create_service_app(settings, Recorder(), Metrics("demo"), [router], DemoHealth)


@pytest.fixture
async def client(app):  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_every_listed_key_is_accepted(client: httpx.AsyncClient) -> None:
    for key in (TEST_API_KEY, OTHER_API_KEY):
        r = await client.post("/things", json={"symbol": "BTC"}, headers={"X-API-Key": key})
        assert r.status_code == 201


async def test_wrong_key_is_401_and_logged_without_the_key(client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]) -> None:
    r = await client.post("/things", json={"symbol": "BTC"}, headers={"X-API-Key": "wrong-" + TEST_API_KEY})
    assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    unauthorized = [line for line in lines if line["event"] == "Unauthorized"]
    assert unauthorized and unauthorized[0]["path"] == "/things" and unauthorized[0]["method"] == "POST"
    assert unauthorized[0]["service"] == "price-service" and unauthorized[0]["level"] == "warning"


async def test_missing_key_is_401(client: httpx.AsyncClient) -> None:
    r = await client.post("/things", json={"symbol": "BTC"})
    assert r.status_code == 401


async def test_bad_body_is_422_and_bad_json_400(client: httpx.AsyncClient) -> None:
    h = {"X-API-Key": TEST_API_KEY}
    r = await client.post("/things", json={"nope": 1}, headers=h)
    assert r.status_code == 422 and "symbol" in r.json()["error"]
    r = await client.post("/things", content=b"{not json", headers={**h, "content-type": "application/json"})
    assert r.status_code == 400 and r.json() == {"error": "Invalid JSON body"}


async def test_oversized_body_is_413_with_or_without_length(client: httpx.AsyncClient) -> None:
    h = {"X-API-Key": TEST_API_KEY, "content-type": "application/json"}
    big = json.dumps({"symbol": "x" * 5000}).encode()
    r = await client.post("/things", content=big, headers=h)
    assert r.status_code == 413 and "too large" in r.json()["error"]

    async def chunks():  # type: ignore[no-untyped-def]
        for i in range(0, len(big), 500):
            yield big[i : i + 500]

    r = await client.post("/things", content=chunks(), headers=h)
    assert r.status_code == 413


async def test_unhandled_error_is_500_without_details(client: httpx.AsyncClient) -> None:
    r = await client.get("/boom")
    assert r.status_code == 500 and r.json() == {"error": "Internal server error"}


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/nowhere")
    assert r.status_code == 404 and "error" in r.json()


async def test_metrics_are_served(client: httpx.AsyncClient) -> None:
    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")


async def test_health_is_200_while_the_work_goes_on_and_503_once_it_has_stopped(app, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    service = app.state.service
    for status, code in (("healthy", 200), ("degraded", 200), ("unhealthy", 503)):
        service.status = status
        r = await client.get("/health")
        assert (r.status_code, r.json()) == (code, {"status": status, "service": "demo"})
    assert "/health" in app.openapi()["paths"]
