"""Fixtures shared by all tests. Chain, PXE and service fixtures live in tests/fixtures/."""

from __future__ import annotations

import pytest

from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.settings import NoteMonitorSettings
from services.price_service.settings import PriceServiceSettings
from shared.settings import environment_names

pytest_plugins = ["tests.fixtures.chain", "tests.fixtures.databases", "tests.fixtures.processes"]

# Keys long and varied enough to pass the settings checks; tests never use a real secret.
TEST_API_KEY = "test-key-6f1c2a9d8e7b4c3a2f1e0d9c8b7a6f5e"
OTHER_API_KEY = "rotated-key-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
SETTINGS_NAMES = environment_names(PriceServiceSettings, NoteMonitorSettings, LiquidationEngineSettings)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """No test reads the developer's .env or real environment by accident: every variable any service's
    settings read is cleared (the names come from the settings classes themselves)."""
    for name in SETTINGS_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
