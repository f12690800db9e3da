"""Fixtures shared by all tests. Chain, PXE and service fixtures live in tests/fixtures/."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.fixtures.chain", "tests.fixtures.databases", "tests.fixtures.processes"]

# Keys long and varied enough to pass the settings checks; tests never use a real secret.
TEST_API_KEY = "test-key-6f1c2a9d8e7b4c3a2f1e0d9c8b7a6f5e"
OTHER_API_KEY = "rotated-key-0a1b2c3d4e5f60718293a4b5c6d7e8f9"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """No test reads the developer's .env or real environment by accident."""
    import os

    for name in list(os.environ):
        if name.startswith(("LIQUIDATION_", "CMC_", "COINGECKO_", "COINBASE_", "KRAKEN_", "PRICE_", "NOTE_", "ORACLE_", "PXE_", "RPC_", "SYNC_", "SWEEP_", "LEASE_")) or name in (
            "ENVIRONMENT", "DATABASE_URL", "LOG_LEVEL", "LOG_FORMAT", "HOST", "DRY_RUN", "MAX_TRACKED_ASSETS", "MAX_PRICE_JUMP",
            "MIN_SOURCES", "MAX_SOURCE_SPREAD", "SOURCE_MAX_AGE", "INSTANCE_ID",
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
