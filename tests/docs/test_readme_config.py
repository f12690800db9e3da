"""README's configuration table, .env.docker and docker-compose.yml agree with the settings classes."""

import re

import yaml

from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.settings import NoteMonitorSettings
from services.price_service.settings import PriceServiceSettings
from tests.fixtures.paths import REPO

ROOT = REPO
CLASSES = {"price-service": PriceServiceSettings, "note-monitor": NoteMonitorSettings,
           "liquidation-engine": LiquidationEngineSettings}


def env_names(cls: type) -> set[str]:
    return {name.upper() for name in cls.model_fields}


def readme_table() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \|[^|]*\| ([^|]+) \|", section, flags=re.M)
    return {name: used.strip() for name, used in rows}


def test_readme_lists_exactly_the_settings_with_their_services() -> None:
    table = readme_table()
    all_names = set().union(*(env_names(c) for c in CLASSES.values()))
    assert set(table) == all_names
    for name, used in table.items():
        users = {s for s, cls in CLASSES.items() if name in env_names(cls)}
        assert used == "all" and len(users) == 3 or {u.strip() for u in used.split(",")} == users, name


def test_env_template_and_compose_use_known_names() -> None:
    known = set().union(*(env_names(c) for c in CLASSES.values()))
    template = [line.split("=", 1)[0] for line in (ROOT / ".env.docker").read_text().splitlines()
                if line and not line.startswith("#")]
    assert set(template) <= known
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in CLASSES:  # the gateway's names are its own (tests/docs/test_compose.py)
        assert set(compose["services"][name].get("environment", {})) <= known


def test_compose_structure() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {s["container_name"] for s in services.values()} == {
        "liquidator-price-service", "liquidator-note-monitor", "liquidator-liquidation-engine",
        "liquidator-pxe-gateway"}
    assert [name for name, s in services.items() if "profiles" not in s] == list(CLASSES)
    ports = {"price-service": 3000, "note-monitor": 3001, "liquidation-engine": 3002}
    for name, port in ports.items():
        service = services[name]
        assert service["restart"] == "unless-stopped"
        assert f"127.0.0.1:{port}/health" in " ".join(service["healthcheck"]["test"])
        assert any(v.startswith("liquidator-data:") for v in service["volumes"])
        assert service["command"][-1] == f"services.{name.replace('-', '_')}"
        assert service["environment"]["HOST"] == "0.0.0.0"
    assert services["price-service"]["ports"] == ["3000:3000"]
    assert "ports" not in services["note-monitor"] and "ports" not in services["liquidation-engine"]
    assert "liquidator-data" in compose["volumes"]
