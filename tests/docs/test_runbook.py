"""RUNBOOK.md stays true to the code and says each thing once: the log events, alerts, settings,
metrics and compose names it cites exist; the event list, the settings table and the alert meanings
live elsewhere (docs/log-events.md, README.md, ops/prometheus/alerts.yml) and do not come back here.

No Docker needed: the compose file is parsed with yaml, events are read from the sources, settings
come from the settings classes and metrics from the apps' registries.
"""

from __future__ import annotations

import difflib
import re

import pytest
import yaml

from scripts.api_docs import SERVICES as SERVICE_APPS
from scripts.api_docs import build_app
from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.settings import NoteMonitorSettings
from services.price_service.settings import PriceServiceSettings
from tests.docs.log_sources import scan_code
from tests.fixtures.paths import REPO

RUNBOOK = (REPO / "RUNBOOK.md").read_text()
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
EMITTED, _ = scan_code()

# Shell variables the runbook defines itself (not settings).
SHELL_VARS = {"KEY", "NEW", "OLD", "VOL", "STAMP", "ESCROW_SECRET", "EDITOR"}
# Words in backticks that are upper case but are not environment names.
NOT_ENV = {"OK", "CLI", "JSON", "WAL", "PXE", "TLS", "GET", "POST", "DELETE", "CHANGE_ME"}


def code_blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)


def prose(text: str) -> str:
    return re.sub(r"```[a-z]*\n.*?```", "", text, flags=re.S)


def recipe_events() -> tuple[set[str], set[str]]:
    """(exact events, event prefixes) the runbook's grep and jq recipes look for."""
    exact = set(re.findall(r'"event": "([^"()|<]+)"', RUNBOOK)) | set(re.findall(r'\.event == "([^"]+)"', RUNBOOK))
    prefixes = {p for group in re.findall(r'"event": "\(([^)]+)\)', RUNBOOK) for p in group.split("|")}
    prefixes |= set(re.findall(r'"event": "([^"()|]+)\'', RUNBOOK))  # open-ended, e.g. "Note sync
    return exact, prefixes


def prose_phrases() -> set[str]:
    """Backticked phrases of the prose (a phrase may wrap a line)."""
    return {" ".join(p.strip('"').split()) for p in re.findall(r"`([^`]+)`", prose(RUNBOOK))}


def test_every_event_the_recipes_grep_for_is_emitted() -> None:
    exact, prefixes = recipe_events()
    assert len(exact) >= 6, "the grep recipes were not found"
    assert sorted(exact - set(EMITTED)) == []
    assert sorted(p for p in prefixes if not any(e.startswith(p) for e in EMITTED)) == []


def test_every_event_the_procedures_name_is_emitted() -> None:
    # A phrase that looks like an event (close to one) but is none is a renamed or mistyped event.
    named = prose_phrases()
    events = [e for e in named if e in EMITTED]
    assert len(events) >= 25, "the procedures name too few events: was the runbook's prose found?"
    near_misses = {p: difflib.get_close_matches(p, list(EMITTED), n=1, cutoff=0.8)
                   for p in named if p not in EMITTED and " " in p}
    assert {p: m for p, m in near_misses.items() if m} == {}


def test_the_event_list_lives_in_docs_only() -> None:
    # docs/log-events.md is the one list of events; the runbook tells what to do about them.
    rows = re.findall(r"^\|[^|\n]*\| `([^`]+)` \|", RUNBOOK, flags=re.M) + re.findall(r"^\| `([^`]+)` \|", RUNBOOK, flags=re.M)
    assert sorted(r for r in rows if r in EMITTED) == []


def alert_rules() -> dict[str, dict]:
    groups = yaml.safe_load((REPO / "ops" / "prometheus" / "alerts.yml").read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def sections() -> dict[str, str]:
    """Anchor -> the text under that heading, up to the next heading."""
    parts = re.split(r"^#{1,6} +(.+?) *$", RUNBOOK, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-"): body
            for heading, body in zip(parts[1::2], parts[2::2], strict=True)}


def test_each_procedure_lists_the_alerts_that_lead_to_it() -> None:
    pointed: dict[str, set[str]] = {}
    for name, rule in alert_rules().items():
        link = rule["annotations"]["runbook"]
        assert link.startswith("RUNBOOK.md#"), name
        pointed.setdefault(link.split("#", 1)[1], set()).add(name)
    listed = {anchor: set(re.findall(r"`(\w+)`", body.split("*Alerts that lead here:*", 1)[1].split("\n\n", 1)[0]))
              for anchor, body in sections().items() if "*Alerts that lead here:*" in body}
    assert listed == pointed


def test_alert_meanings_live_in_the_rules_only() -> None:
    # No paragraph per alert: the rule's description says what it means and what to do.
    headings = set(re.findall(r"^#{1,6} +(\w+) *$", RUNBOOK, flags=re.M))
    assert sorted(headings & set(alert_rules())) == []
    for name, rule in alert_rules().items():
        assert "Do:" in rule["annotations"]["description"], f"{name}: its description says what to do"


def test_every_alert_the_runbook_names_exists() -> None:
    names = set(re.findall(r"\b(?:Price|NoteMonitor|Liquidation|Liquidator)[A-Z][A-Za-z]+\b", RUNBOOK))
    assert sorted(names - set(alert_rules()) - {"PriceOracle", "PriceUpdated"}) == []


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


def test_the_settings_table_lives_in_the_readme_only() -> None:
    rows = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", RUNBOOK, flags=re.M))
    assert sorted(rows & settings_names()) == []


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
    for service in SERVICE_APPS:
        for family in build_app(service).state.metrics.registry.collect():
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
    assert len(cited) >= 5
    assert sorted(cited - metric_names()) == []


@pytest.mark.parametrize("path", ["scripts/generate_api_key.py", "devnet/run.py", ".env.docker", "Makefile",
                                  "docs/README.md", "docs/http-api.md", "docs/log-events.md", "docs/metrics.md",
                                  "docs/money-math.md", "docs/pxe-jsonrpc.md", "docs/real-network.md"])
def test_referenced_files_exist(path: str) -> None:
    assert (REPO / path).exists()
