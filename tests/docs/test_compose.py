"""The PXE gateway's container in docker-compose.yml (issue 12): beside the three services, behind a profile.

No Docker needed: the compose file is parsed with yaml. The gateway's environment names are checked
against the gateway's own settings (gateway/src/config.ts), and the URL the docs tell operators to put
in PXE_URL against the service's name and port.
"""

from __future__ import annotations

import re

import yaml

from tests.fixtures.paths import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
GATEWAY = SERVICES["pxe-gateway"]
PYTHON_SERVICES = ("price-service", "note-monitor", "liquidation-engine")


def gateway_setting_names() -> set[str]:
    source = (REPO / "gateway" / "src" / "config.ts").read_text()
    return set(re.findall(r"env\.([A-Z][A-Z0-9_]+)", source)) | set(re.findall(r"'([A-Z][A-Z0-9_]+)'", source))


def test_the_gateway_has_no_compose_file_of_its_own() -> None:
    # docker-compose.replicas.yml is an override for replicas on PostgreSQL, not a second stack.
    assert sorted(p.name for p in REPO.glob("docker-compose*.yml")) == ["docker-compose.replicas.yml", "docker-compose.yml"]
    for doc in ("README.md", "RUNBOOK.md", "SECURITY.md", "gateway/README.md", ".env.docker", "Makefile"):
        assert "docker-compose.gateway" not in (REPO / doc).read_text(), doc


def test_gateway_is_its_own_container_behind_the_profile() -> None:
    assert GATEWAY["profiles"] == ["gateway"]
    assert GATEWAY["build"] == "./gateway"
    assert GATEWAY["container_name"] == "liquidator-pxe-gateway"
    assert GATEWAY["restart"] == "unless-stopped"
    assert GATEWAY["networks"] == SERVICES["note-monitor"]["networks"]
    assert "ports" not in GATEWAY  # on the compose network only, like the monitor and the engine
    assert "env_file" not in GATEWAY  # the services' keys stay out of it
    assert GATEWAY["logging"] == SERVICES["price-service"]["logging"]


def test_the_default_stack_does_not_need_the_gateway() -> None:
    # A depends_on on a service of an inactive profile fails `docker-compose up` (v1, and v2 before 2.20).
    for name in PYTHON_SERVICES:
        assert "profiles" not in SERVICES[name]
        assert "pxe-gateway" not in SERVICES[name].get("depends_on", [])


def test_gateway_environment_is_the_gateways() -> None:
    environment = GATEWAY["environment"]
    assert set(environment) <= gateway_setting_names()
    assert {"AZTEC_NODE_URL", "GATEWAY_HOST", "GATEWAY_PORT", "GATEWAY_DATA_DIR", "ARTIFACTS_DIR"} <= set(environment)
    assert environment["GATEWAY_HOST"] == "0.0.0.0"
    assert environment["AZTEC_NODE_URL"] == "${AZTEC_NODE_URL:-}"
    # LOG_LEVEL is the services' setting too, where `warning` is valid and the gateway wants `warn`.
    assert "${LOG_LEVEL" not in environment["LOG_LEVEL"]


def test_gateway_store_and_artifacts() -> None:
    environment = GATEWAY["environment"]
    assert f"liquidator-pxe-data:{environment['GATEWAY_DATA_DIR']}" in GATEWAY["volumes"]
    assert COMPOSE["volumes"]["liquidator-pxe-data"]["name"] == "liquidator-pxe-data"
    assert f"./gateway-artifacts:{environment['ARTIFACTS_DIR']}:ro" in GATEWAY["volumes"]


def test_healthcheck_and_the_pxe_url_the_docs_give() -> None:
    port = GATEWAY["environment"]["GATEWAY_PORT"]
    assert GATEWAY["expose"] == [port]
    assert f"http://127.0.0.1:{port}/status" in " ".join(GATEWAY["healthcheck"]["test"])
    url = f"PXE_URL=http://pxe-gateway:{port}"
    for doc in ("RUNBOOK.md", ".env.docker", "docker-compose.yml"):
        assert url in (REPO / doc).read_text(), doc
    assert "--profile gateway" in (REPO / "RUNBOOK.md").read_text()
    assert "COMPOSE_PROFILES=gateway" in (REPO / "RUNBOOK.md").read_text()


def test_services_reach_each_other_by_compose_name() -> None:
    # 127.0.0.1, the default, is the container itself: the engine would never learn nocom-v1's feed
    # times from the price service and would call every feed price stale.
    urls = {
        ("price-service", "LIQUIDATION_ENGINE_URL"): "http://liquidation-engine:3002",
        ("liquidation-engine", "NOTE_MONITOR_URL"): "http://note-monitor:3001",
        ("liquidation-engine", "PRICE_SERVICE_URL"): "http://price-service:3000",
    }
    for (service, name), url in urls.items():
        assert SERVICES[service]["environment"][name] == url
