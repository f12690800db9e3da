"""Price-service settings (SPEC section 2)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field, SecretStr, model_validator

from shared.settings import ServiceSettings, check_hex, looks_like_placeholder

# anvil's second well-known development key: only ever a default in development.
DEV_UPDATER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"


class PriceServiceSettings(ServiceSettings):
    service_name: ClassVar[str] = "price-service"
    database_name: ClassVar[str] = "price-service"

    cmc_api_key: SecretStr = SecretStr("")
    cmc_base_url: str = "https://pro-api.coinmarketcap.com"
    price_poll_interval: float = Field(60, gt=0)
    price_change_threshold: Decimal = Field(Decimal("0.5"), gt=0, le=100)
    price_heartbeat: float = Field(1800, gt=0)
    max_tracked_assets: int = Field(50, ge=1, le=500)
    max_price_jump: Decimal = Field(Decimal("50"), gt=0)
    rpc_url: str = "http://127.0.0.1:8545"
    oracle_address: str = ""
    oracle_updater_private_key: SecretStr = SecretStr("")
    mock_seed: int = 42
    mock_crash_probability: float = Field(0.0, ge=0, le=1)
    mock_crash_bps: int = Field(2500, ge=1, le=9000)
    notify_attempts: int = Field(3, ge=1, le=10)
    fetch_stale_after: float = Field(300, gt=0)

    @model_validator(mode="after")
    def _chain_settings(self) -> "PriceServiceSettings":
        if not self.uses_mock_source and looks_like_placeholder(self.cmc_api_key.get_secret_value()):
            raise ValueError("CMC_API_KEY: a placeholder key is not accepted (use a real key, or mock)")
        if self.environment == "development" and not self.oracle_updater_private_key.get_secret_value():
            self.oracle_updater_private_key = SecretStr(DEV_UPDATER_KEY)
        if self.environment == "production":
            if not self.oracle_address:
                raise ValueError("ORACLE_ADDRESS is required in production")
            if not self.oracle_updater_private_key.get_secret_value():
                raise ValueError("ORACLE_UPDATER_PRIVATE_KEY is required in production")
        if self.oracle_address:
            check_hex("ORACLE_ADDRESS", self.oracle_address, 40)
        check_hex("ORACLE_UPDATER_PRIVATE_KEY", self.oracle_updater_private_key.get_secret_value(), 64)
        return self

    @property
    def uses_mock_source(self) -> bool:
        return self.cmc_api_key.get_secret_value().strip().lower() in ("", "mock")
