"""Schemathesis against each service's own OpenAPI document, in process (ASGI, no network).

Each app is built with its real settings: SQLite in a tmp dir, the price service on the mock source
with a dead RPC, the monitor and the engine with a dead PXE (and the engine with a dead note monitor).
What is tested is the HTTP layer (validation, auth, errors): every operation, with schemathesis's
examples, coverage cases and MAX_EXAMPLES generated ones (valid and invalid by the schema), once with
a valid X-API-Key and once without:

- no 5xx, except a 503 where the operation documents it (its dependency is down here by design);
- every response matches its documented status code, content type and schema, and a 405 lists
  the path's methods in Allow;
- a request valid by the schema is served (or answered 404, 409, or a documented 503), never refused
  with 400/401/413/422: the documented rule is exactly what is accepted; one invalid by it is refused;
- without the key, every operation the OpenAPI marks with `security` answers 401, whatever the body.

FUZZ_EXAMPLES and FUZZ_SEED change the number of generated examples and the seed, for a longer hunt.
The test functions below the fuzzing ones are hand-made hostile inputs no generator sends.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI

from services.liquidation_engine.app import create_app as engine_app
from services.liquidation_engine.monitor_client import MonitorClient
from services.liquidation_engine.planning.budget import Plan
from services.liquidation_engine.service import LiquidationEngine
from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.app import create_app as monitor_app
from services.note_monitor.settings import NoteMonitorSettings
from services.price_service.app import create_app as price_app
from services.price_service.service import PriceService
from services.price_service.settings import PriceServiceSettings
from shared.pxe.client import PxeClient
from shared.settings import load_settings
from tests.conftest import TEST_API_KEY

DEAD = "http://127.0.0.1:9"  # discard: connections are refused at once
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))  # generated cases per operation and key mode
SEED = int(os.environ.get("FUZZ_SEED", "20260110"))
WITH_KEY, WITHOUT_KEY = "with key", "without key"
KEY = {"X-API-Key": TEST_API_KEY}


@dataclass
class Built:
    app: FastAPI
    # What to close once the lifespan has ended: clients given to the service, which it does not own.
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Rows for the responses to carry (run once the lifespan has started): an empty list proves little.
    seed: Callable[[], Awaitable[None]] | None = None


def build_price(db: str) -> Built:
    settings = load_settings(
        PriceServiceSettings, liquidation_api_key=TEST_API_KEY, database_url=f"sqlite+aiosqlite:///{db}",
        environment="development",  # the mock price source: production refuses it
        rpc_url=DEAD, oracle_address="0x" + "11" * 20, oracle_updater_private_key="0x" + "59" * 32,
        liquidation_engine_url=DEAD, notify_attempts=1)
    service = PriceService(settings)

    async def seed() -> None:
        await service.add_asset("BTC", "Bitcoin", int(time.time()))

    return Built(price_app(settings, service), seed=seed)


# The monitor's and the engine's clients are theirs, but try a dead peer once instead of backing off
# and trying again: retries would only add seconds per request.
def build_monitor(db: str) -> Built:
    pxe = PxeClient(DEAD, read_attempts=1)
    settings = load_settings(NoteMonitorSettings, liquidation_api_key=TEST_API_KEY,
                             database_url=f"sqlite+aiosqlite:///{db}", pxe_url=DEAD)
    return Built(monitor_app(settings, pxe=pxe), [pxe.close])


def build_engine(db: str) -> Built:
    settings = load_settings(
        LiquidationEngineSettings, liquidation_api_key=TEST_API_KEY, database_url=f"sqlite+aiosqlite:///{db}",
        pxe_url=DEAD, rpc_url=DEAD, note_monitor_url=DEAD, oracle_address="0x" + "11" * 20,
        liquidator_private_key="0x" + "01" * 32)
    pxe, monitor = PxeClient(DEAD, read_attempts=1), MonitorClient(DEAD, TEST_API_KEY, attempts=1)
    engine = LiquidationEngine(settings, pxe=pxe, monitor=monitor)

    async def seed() -> None:  # finished attempts only: nothing for the receipt follower to chase
        ids = await engine.store.add([Plan("0x" + "01" * 32, "0.9500", 5 * 10**20, 10**16, 9_700_050_000_000, 10**8)])
        await engine.store.set_tx_hash(ids[0], "0x" + "cd" * 32)
        await engine.store.finish(ids[0], "succeeded")
        await engine.store.add([Plan("0x" + "02" * 32, "0.8000", 7, 8, 10**8, 120_000_000)], status="skipped",
                               errors=["Insufficient debt-token balance: have 0, need 7"])

    return Built(engine_app(settings, engine), [pxe.close, monitor.close], seed)


BUILDERS: dict[str, Callable[[str], Built]] = {
    "price-service": build_price, "note-monitor": build_monitor, "liquidation-engine": build_engine,
}


def fuzz_config(auth: str) -> schemathesis.Config:
    # A request valid by the schema is served, or names what is missing or in conflict, or (POST
    # /escrows, /health) says that its dependency is down; without the key, a protected one is 401.
    accepted = ["2xx", "404", "409", "503"] + (["401"] if auth == WITHOUT_KEY else [])
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none", "with-security-parameters": False},
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "positive_data_acceptance": {"expected-statuses": accepted},
            # 503 only where documented (status_code_conformance checks that); any other 5xx fails.
            "not_a_server_error": {"expected-statuses": ["2xx", "4xx", "503"]},
        },
    })


class ServiceApp:
    """The ASGI app schemathesis calls for one service: a fresh app for each test (one operation, all
    its examples), built on the first message, the lifespan's startup. Schemathesis ends that lifespan
    when the test ends."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.db_dir: Path | None = None
        self.built: Built | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.built is None:
            assert self.db_dir is not None, "the fresh_apps fixture gives each test its own database"
            self.built = BUILDERS[self.service](str(self.db_dir / f"{self.service}.db"))
        built = self.built
        if scope["type"] != "lifespan":
            await built.app(scope, receive, send)
            return

        async def seeded_send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete" and built.seed is not None:
                await built.seed()
            await send(message)

        await built.app(scope, receive, seeded_send)
        for close in built.closers:  # the lifespan has ended
            await close()


APPS = {service: ServiceApp(service) for service in BUILDERS}


@pytest.fixture
def fresh_apps(tmp_path: Path) -> Iterator[None]:
    for target in APPS.values():
        target.db_dir, target.built = tmp_path, None
    yield
    for target in APPS.values():
        target.db_dir, target.built = None, None


def load_schema(service: str, auth: str) -> Any:
    """The service's OpenAPI, read from an app that is never started; its requests go to APPS[service]."""
    schema = schemathesis.openapi.from_dict(BUILDERS[service](":memory:").app.openapi(), config=fuzz_config(auth))
    schema.app = APPS[service]
    return schema


def fuzz_test(service: str, auth: str) -> Callable[..., None]:
    schema = load_schema(service, auth)

    @schema.parametrize()
    # The examples of one operation share its app on purpose (one lifespan per test, not per example).
    @hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
    def test(case: schemathesis.Case, fresh_apps: None) -> None:
        if auth == WITH_KEY:
            response = case.call_and_validate(headers=KEY)
        else:
            response = case.call_and_validate()
            # (An undeclared method on the same path, TRACE say, is no call of the operation.)
            if case.operation.definition.raw.get("security") and case.method.upper() == case.operation.method.upper():
                assert (response.status_code, response.json()) == (401, {"error": "Unauthorized"}), \
                    f"{case.method} {case.formatted_path} answered {response.status_code} without a key"
        if response.status_code == 405:
            # Every method the path has, not only the one route tried (GET and POST /assets are two).
            declared = {method.upper() for method in case.operation.schema[case.operation.path]}
            allow = ", ".join(response.headers.get("allow", []))  # schemathesis keeps every value of a header
            assert set(allow.split(", ")) == declared, (case.method, case.formatted_path, allow)

    return test


test_price_service_with_key = fuzz_test("price-service", WITH_KEY)
test_price_service_without_key = fuzz_test("price-service", WITHOUT_KEY)
test_note_monitor_with_key = fuzz_test("note-monitor", WITH_KEY)
test_note_monitor_without_key = fuzz_test("note-monitor", WITHOUT_KEY)
test_liquidation_engine_with_key = fuzz_test("liquidation-engine", WITH_KEY)
test_liquidation_engine_without_key = fuzz_test("liquidation-engine", WITHOUT_KEY)


# --- hand-made hostile inputs ---------------------------------------------------------------------


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Callable[[str], Awaitable[httpx.AsyncClient]]]:
    """Starts a service's app (as built for the fuzzing, seeded) and gives an HTTP client on it."""
    async with AsyncExitStack() as stack:

        async def start(service: str) -> httpx.AsyncClient:
            built = BUILDERS[service](str(tmp_path / f"{service}.db"))
            for close in built.closers:  # run last: after the lifespan has ended
                stack.push_async_callback(close)
            await stack.enter_async_context(built.app.router.lifespan_context(built.app))
            if built.seed is not None:
                await built.seed()
            transport = httpx.ASGITransport(app=built.app, raise_app_exceptions=False)
            return await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://svc"))

        yield start


async def test_json_no_encoder_could_send_on_is_refused_not_a_500(running: Any) -> None:
    """Python's JSON parser takes NaN, Infinity, 1e400 and unpaired surrogates; the monitor forwards
    `instance` to the PXE, whose JSON encoder takes none of them."""
    http = await running("note-monitor")
    for instance in (b'{"a": NaN}', b'{"a": Infinity}', b'{"a": 1e400}', b'{"\\ud800": 1}', b'{"a": ["\\udfff"]}'):
        body = b'{"address": "0x2a", "instance": ' + instance + b"}"
        r = await http.post("/escrows", content=body, headers={**KEY, "content-type": "application/json"})
        assert r.status_code == 422, (instance, r.status_code, r.text)
        assert r.json()["details"] == [{"field": "instance", "message": "must be plain JSON: no NaN or Infinity, "
                                                                           "no unpaired surrogate"}]


async def test_a_rule_the_service_checks_itself_is_answered_like_any_422(running: Any) -> None:
    http = await running("note-monitor")
    r = await http.post("/escrows", json={"address": "0x2a", "instance": {"address": "0x2b"}}, headers=KEY)
    assert (r.status_code, r.json()) == (422, {
        "error": "instance.address: does not match address",
        "details": [{"field": "instance.address", "message": "does not match address"}]})


async def test_path_parameters_follow_their_documented_pattern(running: Any) -> None:
    monitor, price = await running("note-monitor"), await running("price-service")
    for path in ("/positions/not-an-address", "/positions/%200x2a", "/escrows/0x" + "1" * 65):
        method = "GET" if path.startswith("/positions") else "DELETE"
        r = await monitor.request(method, path, headers=KEY)
        assert r.status_code == 422 and r.json()["details"][0]["field"] in ("escrow", "address"), (path, r.text)
    assert (await monitor.get("/positions/0x" + "5" * 64, headers=KEY)).status_code == 404  # valid, unknown
    assert (await price.delete("/assets/B-T-C", headers=KEY)).status_code == 422
    assert (await price.delete("/assets/ETH", headers=KEY)).status_code == 404
    r = await price.delete("/assets/btc", headers=KEY)  # lower case is the same symbol
    assert (r.status_code, r.json()["symbol"]) == (200, "BTC")


async def test_a_json_integer_may_be_written_with_a_zero_fraction(running: Any) -> None:
    http = await running("liquidation-engine")
    update = {"asset": "BTC", "price": "97000.5", "timestamp": 1_750_000_000.0, "txHash": "0x" + "ab" * 32}
    r = await http.post("/price-update", content=json.dumps({"updates": [update]}),
                        headers={**KEY, "content-type": "application/json"})
    assert (r.status_code, r.json()) == (202, {"accepted": 1})
    for timestamp in (1.5, "1750000000", True, -1.0):
        r = await http.post("/price-update", json={"updates": [{**update, "timestamp": timestamp}]}, headers=KEY)
        assert r.status_code == 422, timestamp
    r = await http.get("/liquidations", params={"status": "pending"}, headers=KEY)
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "status"


async def test_metrics_are_the_documented_text(running: Any) -> None:
    http = await running("price-service")
    doc = (await http.get("/openapi.json")).json()
    assert list(doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == ["text/plain"]
    r = await http.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
