"""note-monitor settings: defaults, the environment, and settings refused at start with one line naming them."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from services.note_monitor.settings import NoteMonitorSettings
from shared.settings import SettingsError, load_settings
from tests.conftest import TEST_API_KEY

REPO = Path(__file__).resolve().parents[3]


def test_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIQUIDATION_API_KEY", TEST_API_KEY)
    s = load_settings(NoteMonitorSettings)
    assert (s.pxe_url, s.sync_interval, s.sync_concurrency, s.port) == ("http://127.0.0.1:8080", 60, 16, 3001)
    assert s.database_url.endswith("/data/note-monitor.db")
    monkeypatch.setenv("SYNC_INTERVAL", "0.5")
    monkeypatch.setenv("SYNC_CONCURRENCY", "4")
    monkeypatch.setenv("PXE_URL", "http://pxe:8080")
    s = load_settings(NoteMonitorSettings)
    assert (s.pxe_url, s.sync_interval, s.sync_concurrency) == ("http://pxe:8080", 0.5, 4)


@pytest.mark.parametrize("value", ["0", "257", "many"])
def test_sync_concurrency_out_of_range_names_the_setting(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("LIQUIDATION_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("SYNC_CONCURRENCY", value)
    with pytest.raises(SettingsError, match="SYNC_CONCURRENCY"):
        load_settings(NoteMonitorSettings)


@pytest.mark.parametrize(("env", "named"), [
    ({"SYNC_INTERVAL": "60", "SYNC_MEMBER_TTL": "600"}, "SYNC_MEMBER_TTL (600 s) must be at most SYNC_INTERVAL (60 s)"),
    ({"SYNC_MEMBER_TTL": "0.001"}, "SYNC_MEMBER_TTL must be at least 1 s"),
    ({"PXE_READ_URL": "pxe-gateway:8080"}, "PXE_READ_URL must be http(s) URLs"),
    ({"PXE_READ_URL": " , "}, "PXE_READ_URL must name at least one http(s) URL"),
    ({"PXE_URL": ""}, "PXE_URL must name at least one http(s) URL"),
])
def test_settings_that_cannot_work_are_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                                                   named: str) -> None:
    monkeypatch.setenv("LIQUIDATION_API_KEY", TEST_API_KEY)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=re.escape(named)):
        load_settings(NoteMonitorSettings)


def test_a_lease_as_long_as_a_sync_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIQUIDATION_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("SYNC_INTERVAL", "2")
    monkeypatch.setenv("SYNC_MEMBER_TTL", "2")
    assert load_settings(NoteMonitorSettings).member_ttl == 2


def test_the_service_stops_at_start_with_one_line_and_exit_code_2(tmp_path: Path) -> None:
    env = {**os.environ, "LIQUIDATION_API_KEY": TEST_API_KEY, "SYNC_INTERVAL": "60", "SYNC_MEMBER_TTL": "600",
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/m.db"}
    done = subprocess.run([sys.executable, "-m", "services.note_monitor"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "note-monitor: configuration error: SYNC_MEMBER_TTL (600 s) must be at most SYNC_INTERVAL (60 s): "
        "a stopped monitor's escrows would go unread for longer than a sync"]
