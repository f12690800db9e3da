"""What every service's HTTP API promises: the key before the body, and an OpenAPI that says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.liquidation_engine.app import create_app as engine_app
from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.app import create_app as monitor_app
from services.note_monitor.settings import NoteMonitorSettings
from services.price_service.app import create_app as price_app
from services.price_service.settings import PriceServiceSettings
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY

PROTECTED_POSTS = {"price": ["/assets"], "monitor": ["/escrows", "/sync"], "engine": ["/price-update"]}
UPDATER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"


def build(kind: str, tmp_path: Path) -> FastAPI:
    db = f"sqlite+aiosqlite:///{tmp_path}/{kind}.db"
    common: dict[str, Any] = {"liquidation_api_key": TEST_API_KEY, "database_url": db}
    if kind == "price":
        return price_app(load_settings(PriceServiceSettings, **common, environment="development", oracle_address="0x" + "11" * 20,
                                       oracle_updater_private_key=UPDATER_KEY, rpc_url="http://127.0.0.1:9"))
    if kind == "monitor":
        return monitor_app(load_settings(NoteMonitorSettings, **common, pxe_url="http://127.0.0.1:9"))
    return engine_app(load_settings(LiquidationEngineSettings, **common, oracle_address="0x" + "11" * 20,
                                    liquidator_private_key="0x01", pxe_url="http://127.0.0.1:9",
                                    rpc_url="http://127.0.0.1:9", note_monitor_url="http://127.0.0.1:9"))


@pytest.fixture(params=["price", "monitor", "engine"])
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    app = build(request.param, tmp_path)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        yield request.param, http


async def test_a_protected_post_checks_the_key_before_reading_the_body(api: tuple[str, httpx.AsyncClient]) -> None:
    kind, http = api
    for path in PROTECTED_POSTS[kind]:
        bad_json = {"Content-Type": "application/json"}
        r = await http.post(path, content=b"{bad", headers=bad_json)
        assert (r.status_code, r.json()) == (401, {"error": "Unauthorized"}), path
        r = await http.post(path, content=b"{bad", headers={**bad_json, "X-API-Key": TEST_API_KEY})
        assert r.status_code == 400 or path == "/sync", path  # /sync has no body to be bad


async def test_the_openapi_declares_the_key_scheme_and_the_error_answers(api: tuple[str, httpx.AsyncClient]) -> None:
    kind, http = api
    doc = (await http.get("/openapi.json")).json()
    assert doc["components"]["securitySchemes"]["APIKeyHeader"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key",
        "description": "One of the keys in LIQUIDATION_API_KEY (comma-separated for rotation)"}
    for path in PROTECTED_POSTS[kind]:
        operation = doc["paths"][path]["post"]
        assert operation["security"] == [{"APIKeyHeader": []}], path
        assert "401" in operation["responses"], path
        if path != "/sync":
            assert {"400", "413", "422"} <= set(operation["responses"]), path
    assert "security" not in doc["paths"]["/health"]["get"]


async def test_symbol_rules_are_in_the_schema(api: tuple[str, httpx.AsyncClient]) -> None:
    kind, http = api
    doc = (await http.get("/openapi.json")).json()
    text = str(doc)
    assert "^[A-Za-z0-9]{1,15}$" in text or kind == "monitor"
    if kind == "engine":
        assert "^[0-9]{1,30}(\\\\.[0-9]{1,18})?$" in text or "^[0-9]{1,30}(\\.[0-9]{1,18})?$" in text
