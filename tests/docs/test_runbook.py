"""RUNBOOK.md stays true to the code: log events, settings, metrics and compose names it cites exist.

No Docker needed: the compose file is parsed with yaml, events are grepped from the sources,
settings and metrics come from the classes themselves.
"""

from __future__ import annotations

import re

import pytest
import yaml

from services.liquidation_engine.metrics import EngineMetrics
from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.metrics import MonitorMetrics
from services.note_monitor.settings import NoteMonitorSettings
from services.price_service.metrics import PriceMetrics
from services.price_service.settings import PriceServiceSettings
from tests.fixtures.paths import REPO

RUNBOOK = (REPO / "RUNBOOK.md").read_text()
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())

# Shell variables the runbook defines itself (not settings).
SHELL_VARS = {"KEY", "NEW", "OLD", "VOL", "STAMP", "ESCROW_SECRET", "EDITOR"}
# Words in backticks that are upper case but are not environment names.
NOT_ENV = {"OK", "CLI", "JSON", "WAL", "PXE", "TLS", "GET", "POST", "DELETE"}


def code_blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)


def prose(text: str) -> str:
    return re.sub(r"```[a-z]*\n.*?```", "", text, flags=re.S)


def emitted_events() -> set[str]:
    events: set[str] = set()
    pattern = re.compile(r"""\blog\.(?:debug|info|warning|error|exception|critical)\(\s*["']([^"']+)["']""")
    for folder in ("services", "shared"):
        for path in (REPO / folder).rglob("*.py"):
            events.update(pattern.findall(path.read_text()))
    return events


def runbook_events() -> tuple[set[str], set[str]]:
    """(exact events, event prefixes) the runbook tells operators to look for."""
    exact: set[str] = set()
    prefixes: set[str] = set()
    section = RUNBOOK.split("### Log events", 1)[1].split("**View logs:**", 1)[0]
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] in {"all", "price-service", "note-monitor", "engine"}:
            exact.update(re.findall(r"`([^`]+)`", cells[1]))
    exact.update(re.findall(r'"event": "([^"()|<]+)"', RUNBOOK))
    exact.update(re.findall(r'\.event == "([^"]+)"', RUNBOOK))
    for group in re.findall(r'"event": "\(([^)]+)\)', RUNBOOK):
        prefixes.update(group.split("|"))
    prefixes.update(re.findall(r'"event": "([^"()|]+)\'', RUNBOOK))  # open-ended, e.g. "Note sync
    return exact, prefixes


def test_every_event_the_runbook_cites_is_emitted() -> None:
    emitted = emitted_events()
    exact, prefixes = runbook_events()
    assert len(exact) > 30, "the log-event table was not found"
    assert sorted(exact - emitted) == []
    assert sorted(p for p in prefixes if not any(e.startswith(p) for e in emitted)) == []


def test_every_event_emitted_is_in_the_runbook() -> None:
    # An operator who greps a line from the logs finds what it means and what to do.
    exact, prefixes = runbook_events()
    assert sorted(emitted_events() - exact) == []


def test_spec_events_are_all_in_the_runbook() -> None:
    exact, _ = runbook_events()
    spec_events = {
        "Price change", "Price change not significant", "Price updated on-chain", "Price update failed",
        "Price fetch failed", "Liquidation engine notified", "Liquidation engine notification failed",
        "Escrow registered", "Escrow removed", "Note sync started", "Note sync completed", "Note sync failed",
        "PXE unreachable", "PXE reachable", "Price update notification", "Position checked",
        "No liquidatable positions found", "Liquidation executed successfully", "Liquidation failed",
        "Price stale", "Unauthorized", "Service started", "Service stopped",
    }
    assert sorted(spec_events - exact) == []


def settings_names() -> set[str]:
    names: set[str] = set()
    for cls in (PriceServiceSettings, NoteMonitorSettings, LiquidationEngineSettings):
        names.update(name.upper() for name in cls.model_fields)
    return names


def runbook_env_names() -> set[str]:
    found = {w for w in re.findall(r"`([A-Z][A-Z0-9_]{2,})`", prose(RUNBOOK))}
    for block in code_blocks(RUNBOOK):
        found.update(re.findall(r"\^([A-Z][A-Z0-9_]{2,})=", block))  # sed 's/^NAME=...'
        found.update(re.findall(r"printenv ([A-Z][A-Z0-9_]{2,})", block))
        found.update(re.findall(r"environ\['([A-Z][A-Z0-9_]{2,})'\]", block))
        found.update(re.findall(r'environ\.get\("([A-Z][A-Z0-9_]{2,})"', block))
        found.update(re.findall(r'"\$([A-Z][A-Z0-9_]{2,})"', block))
    return found - SHELL_VARS - NOT_ENV


def gateway_names() -> set[str]:
    """The gateway container's settings: its environment in docker-compose.yml and the .env variables
    compose reads into it (`${NAME:-default}`), plus compose's own COMPOSE_PROFILES."""
    gateway = COMPOSE["services"]["pxe-gateway"]["environment"]
    passed = {m for value in gateway.values() for m in re.findall(r"\$\{([A-Z][A-Z0-9_]+)", str(value))}
    return set(gateway) | passed | {"COMPOSE_PROFILES"}


def test_every_env_name_exists_in_a_settings_class() -> None:
    names = runbook_env_names()
    assert {"LIQUIDATION_API_KEY", "DRY_RUN", "PRICE_HEARTBEAT", "PXE_URL", "AZTEC_NODE_URL"} <= names
    assert sorted(names - settings_names() - gateway_names()) == []


def test_env_template_names_exist_in_a_settings_class() -> None:
    template = (REPO / ".env.docker").read_text()
    names = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", template, flags=re.M))
    assert sorted(names - settings_names()) == []


SERVICES = set(COMPOSE["services"])
CONTAINERS = {s["container_name"] for s in COMPOSE["services"].values()}
VOLUMES = set(COMPOSE["volumes"])
IMAGES = {s["image"].split(":")[0] for s in COMPOSE["services"].values()}
COMPOSE_VERBS = {"up", "stop", "start", "restart", "logs", "exec", "ps", "build", "run", "down", "config"}


def service_port(service: str) -> int:
    spec = COMPOSE["services"][service]
    exposed = [str(p) for p in spec.get("expose", [])] + [str(p).split(":")[-1] for p in spec.get("ports", [])]
    assert len(set(exposed)) == 1, exposed
    return int(exposed[0])


def test_compose_service_names() -> None:
    used: set[str] = set()
    for block in code_blocks(RUNBOOK):
        for line in block.splitlines():
            for match in re.finditer(r"docker-compose ((?:\S+ ?)+)", line):
                words = match.group(1).split()
                if not words or words[0] not in COMPOSE_VERBS:
                    continue
                for word in words[1:]:
                    if word in {"|", "&&", ";", "\\"} or word.startswith(("|", "#")):
                        break
                    if re.fullmatch(r"[a-z]+(-[a-z]+)+", word):
                        used.add(word)
    assert {"price-service", "note-monitor", "liquidation-engine"} <= used
    assert sorted(used - SERVICES) == []


def test_api_helper_calls_name_a_service_and_its_port() -> None:
    calls = re.findall(r"\bapi ([a-z-]+) (\d+) (GET|POST|DELETE) ", RUNBOOK)
    assert len(calls) > 10
    for service, port, _method in calls:
        assert service in SERVICES
        assert int(port) == service_port(service), (service, port)


def test_container_volume_and_image_names() -> None:
    names = set(re.findall(r"\bliquidator-[a-z][a-z-]*[a-z]", RUNBOOK))
    assert {"liquidator-data", "liquidator-pxe-data"} <= VOLUMES
    allowed = CONTAINERS | IMAGES | VOLUMES
    assert sorted(names - allowed) == []
    assert {"liquidator-price-service", "liquidator-note-monitor", "liquidator-liquidation-engine"} <= names
    for name in ("price-service", "note-monitor", "liquidation-engine"):
        assert "liquidator-data:/app/data" in COMPOSE["services"][name]["volumes"]
    # the loop `liquidator-$s` over the service names must give the container names
    assert {f"liquidator-{s}" for s in SERVICES} == CONTAINERS


def metric_names() -> set[str]:
    names: set[str] = set()
    for registry in (PriceMetrics().registry, MonitorMetrics().metrics.registry, EngineMetrics().registry):
        for family in registry.collect():
            names.add(family.name)
            if family.type == "counter":
                names.add(family.name + "_total")
    return names


def test_every_metric_the_runbook_cites_exists() -> None:
    cited = set(re.findall(r"`((?:price_service|note_monitor|liquidation_engine)_[a-z_]+)`", RUNBOOK))
    for pattern in re.findall(r"\^((?:price_service|note_monitor|liquidation_engine)_)\(([a-z_|]+)\)", RUNBOOK):
        prefix, alternatives = pattern
        known = metric_names()
        for alternative in alternatives.split("|"):
            assert any(name.startswith(prefix + alternative) for name in known), prefix + alternative
    assert len(cited) >= 15
    assert sorted(cited - metric_names()) == []


@pytest.mark.parametrize("path", ["scripts/generate_api_key.py", "devnet/run.py", ".env.docker", "Makefile"])
def test_referenced_files_exist(path: str) -> None:
    assert (REPO / path).exists()
