"""The engine's settings, safe by default: production refuses liquidator keys anyone can read, a lease too
short to mean anything, and URLs that are not URLs, each with one line naming the setting and exit code 2
(the service run as operators run it)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from devnet.suite import DEV_LIQUIDATOR_KEY as LOCAL_RUN_KEY
from devnet.suite import OWN_SETTINGS, REPO
from services.liquidation_engine.settings import DEV_LIQUIDATOR_KEY, LiquidationEngineSettings
from shared.settings import SettingsError, load_settings
from tests.conftest import TEST_API_KEY

OWN_KEY = "0x0ec12e7000000000000000000000000000000000000000000000000000009999"
PRODUCTION = {"ENVIRONMENT": "production", "LIQUIDATION_API_KEY": TEST_API_KEY, "ORACLE_ADDRESS": "0x" + "11" * 20,
              "LIQUIDATOR_PRIVATE_KEY": OWN_KEY, "DATABASE_URL": "sqlite+aiosqlite:///:memory:"}
# Aztec's sandbox funds these test accounts (@aztec/accounts/testing, INITIAL_TEST_SECRET_KEYS).
AZTEC_TEST_KEYS = ["0x2153536ff6628eee01cf4024889ff977a18d9fa61d0e414422f7681cf085c281",
                   "0xaebd1b4be76efa44f5ee655c20bf9ea60f7ae44b9a7fd1fd9f189c7a0b0cdae",
                   "0x0f6addf0da06c33293df974a565b03d1ab096090d907d98055a8b7f4954e120c"]


def start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """python -m services.liquidation_engine with this environment and nothing of the caller's settings."""
    clean = {k: v for k, v in os.environ.items() if k not in OWN_SETTINGS}
    return subprocess.run([sys.executable, "-m", "services.liquidation_engine"], cwd=REPO, env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("setting", "value", "named"), [
    ("LIQUIDATOR_PRIVATE_KEY", DEV_LIQUIDATOR_KEY, "LIQUIDATOR_PRIVATE_KEY"),
    ("LIQUIDATOR_PRIVATE_KEY", LOCAL_RUN_KEY.upper().replace("0X", "0x"), "LIQUIDATOR_PRIVATE_KEY"),
    ("ENGINE_LEASE_TTL", "0.001", "ENGINE_LEASE_TTL"),
    ("NOTE_MONITOR_URL", "monitor:3001", "NOTE_MONITOR_URL"),
    ("NOTE_MONITOR_URL", "", "NOTE_MONITOR_URL"),
    ("PRICE_SERVICE_URL", "ftp://prices", "PRICE_SERVICE_URL"),
    ("PRICE_SERVICE_URL", "http://a:3000,http://b:3000", "PRICE_SERVICE_URL"),
])
def test_production_refuses_an_unsafe_setting_with_one_line_and_exit_code_2(setting: str, value: str, named: str) -> None:
    done = start({**PRODUCTION, setting: value})
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "Traceback" not in done.stderr, done.stderr
    if setting == "LIQUIDATOR_PRIVATE_KEY":
        assert value.lower()[2:20] not in lines[0].lower()  # a secret is never printed


@pytest.mark.parametrize("key", AZTEC_TEST_KEYS + [DEV_LIQUIDATOR_KEY, LOCAL_RUN_KEY])
def test_every_published_development_key_is_refused_in_production(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match="LIQUIDATOR_PRIVATE_KEY is a published development key"):
        load_settings(LiquidationEngineSettings, liquidator_private_key=key)
    # The local run may use them: development only.
    assert load_settings(LiquidationEngineSettings, liquidator_private_key=key, environment="development")


def test_sane_values_are_kept_and_an_empty_price_service_means_the_feed_age_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    s = load_settings(LiquidationEngineSettings, engine_lease_ttl=2, note_monitor_url="https://monitor.internal:3001/",
                      price_service_url="  ")
    assert (s.engine_lease_ttl, s.note_monitor_url, s.price_service_url) == (2, "https://monitor.internal:3001/", "")
    assert s.feed_age_known  # the EVM oracle keeps its own time
    nocom = load_settings(LiquidationEngineSettings, protocol="nocom-v1", price_feed_address="0x2a", price_service_url="")
    assert not nocom.feed_age_known
    assert load_settings(LiquidationEngineSettings, protocol="nocom-v1", price_feed_address="0x2a").feed_age_known
