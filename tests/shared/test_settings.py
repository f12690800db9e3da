import pytest

from shared.logging import mask
from shared.settings import ServiceSettings, SettingsError, load_settings
from tests.conftest import OTHER_API_KEY, TEST_API_KEY


class DemoSettings(ServiceSettings):
    service_name = "note-monitor"
    database_name = "demo"

    demo_port: int = 3001

    @property
    def port(self) -> int:
        return self.demo_port


def test_production_requires_an_api_key() -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(DemoSettings)
    assert "LIQUIDATION_API_KEY" in str(err.value)


def test_short_key_is_named_but_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIQUIDATION_API_KEY", "short-secret-value")
    with pytest.raises(SettingsError) as err:
        load_settings(DemoSettings)
    assert "LIQUIDATION_API_KEY" in str(err.value)
    assert "short-secret-value" not in str(err.value)


@pytest.mark.parametrize("key", ["change-me-change-me-change-me-change-me", "your-api-key-here-0123456789abcdefghij", "a" * 64])
def test_placeholder_keys_are_refused(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("LIQUIDATION_API_KEY", key)
    with pytest.raises(SettingsError, match="placeholder"):
        load_settings(DemoSettings)


def test_comma_separated_keys_for_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIQUIDATION_API_KEY", f"{TEST_API_KEY}, {OTHER_API_KEY}")
    settings = load_settings(DemoSettings)
    assert settings.api_keys == [TEST_API_KEY, OTHER_API_KEY]
    assert settings.masked()["liquidation_api_key"] == "***"


def test_development_generates_a_key_and_derives_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "Development")
    settings = load_settings(DemoSettings)
    assert settings.api_key_generated and len(settings.api_keys[0]) >= 32
    assert settings.database_url == "sqlite+aiosqlite:///./data/demo.db"
    assert settings.port == 3001


def test_invalid_number_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIQUIDATION_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("DEMO_PORT", "seventy")
    with pytest.raises(SettingsError, match="DEMO_PORT"):
        load_settings(DemoSettings)


def test_price_service_refuses_the_docker_template_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.price_service.settings import PriceServiceSettings

    monkeypatch.setenv("LIQUIDATION_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("ORACLE_UPDATER_PRIVATE_KEY", "0x" + "ab" * 32)
    monkeypatch.setenv("ORACLE_ADDRESS", "CHANGE_ME_0xPriceOracleAddress")
    with pytest.raises(SettingsError, match="ORACLE_ADDRESS"):
        load_settings(PriceServiceSettings)
    monkeypatch.setenv("ORACLE_ADDRESS", "0x" + "12" * 20)
    monkeypatch.setenv("CMC_API_KEY", "CHANGE_ME_or_mock")
    with pytest.raises(SettingsError, match="CMC_API_KEY"):
        load_settings(PriceServiceSettings)
    monkeypatch.setenv("CMC_API_KEY", "mock")
    monkeypatch.setenv("ORACLE_UPDATER_PRIVATE_KEY", "CHANGE_ME_0xUpdaterPrivateKey")
    with pytest.raises(SettingsError, match="ORACLE_UPDATER_PRIVATE_KEY") as err:
        load_settings(PriceServiceSettings)
    assert "CHANGE_ME" not in str(err.value)


def test_a_database_user_without_a_password_is_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # Masking the user "postgres" garbled every driver message: "sqlalchemy.dialects.***ql.asyncpg".
    monkeypatch.setenv("LIQUIDATION_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/liquidator")
    settings = load_settings(DemoSettings)
    message = 'sqlalchemy.dialects.postgresql.asyncpg.Error: database "liquidator" does not exist'
    assert mask(message) == message
    assert settings.masked()["database_url"] == "postgresql+asyncpg://postgres@127.0.0.1:5432/liquidator"


@pytest.mark.parametrize("password, spelled", [("pw1", "pw1"), ("s3cret%40pass", "s3cret@pass")])
def test_a_database_password_is_never_shown(monkeypatch: pytest.MonkeyPatch, password: str, spelled: str) -> None:
    monkeypatch.setenv("LIQUIDATION_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("DATABASE_URL", f"postgresql+asyncpg://liquidator:{password}@db:5432/liquidator")
    settings = load_settings(DemoSettings)
    assert settings.masked()["database_url"] == "postgresql+asyncpg://liquidator:***@db:5432/liquidator"
    if len(spelled) >= 6:  # what the log masker catches anywhere, as the driver spells it
        assert spelled not in mask(f"password authentication failed: {spelled}")
