"""docker-compose.replicas.yml (issue 14) stays true to the services: PostgreSQL for every replica,
distinct INSTANCE_IDs, a PXE per note monitor, and only settings the services know."""

from __future__ import annotations

import yaml

from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.settings import NoteMonitorSettings
from services.price_service.settings import PriceServiceSettings
from tests.fixtures.paths import REPO

REPLICAS = yaml.safe_load((REPO / "docker-compose.replicas.yml").read_text())
BASE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SETTINGS = {"price-service": PriceServiceSettings, "note-monitor": NoteMonitorSettings,
            "liquidation-engine": LiquidationEngineSettings}


def replicas_of(service: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return {name: spec for name, spec in REPLICAS["services"].items()
            if name == service or spec.get("extends", {}).get("service") == service
            or service.replace("-", "_") in " ".join(spec.get("command", []))}


def test_a_postgres_service_and_every_replica_on_it() -> None:
    assert REPLICAS["services"]["postgres"]["image"].startswith("postgres:")
    for service in SETTINGS:
        replicas = replicas_of(service)
        assert len(replicas) >= 2 and service in BASE["services"]
        for spec in replicas.values():
            assert spec["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
            assert "postgres" in spec["depends_on"]
        assert len({spec["environment"]["INSTANCE_ID"] for spec in replicas.values()}) == len(replicas)


def test_each_note_monitor_reads_through_its_own_pxe() -> None:
    pxes = [spec["environment"]["PXE_URL"] for spec in replicas_of("note-monitor").values()]
    assert len(set(pxes)) == len(pxes)


def test_every_setting_is_known_to_its_service() -> None:
    for service, settings in SETTINGS.items():
        for spec in replicas_of(service).values():
            unknown = {k for k in spec["environment"] if k.lower() not in settings.model_fields}
            assert unknown == set(), (service, unknown)


def test_every_price_service_notifies_every_engine() -> None:
    engines = {f"http://{name}:3002" for name in replicas_of("liquidation-engine")}
    for spec in replicas_of("price-service").values():
        assert set(spec["environment"]["LIQUIDATION_ENGINE_URL"].split(",")) == engines
