import pytest

from services.note_monitor.settings import NoteMonitorSettings
from shared.settings import SettingsError, load_settings
from tests.conftest import TEST_API_KEY


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
