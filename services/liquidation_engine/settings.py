"""liquidation-engine settings (README.md, Configuration): the common groups, its PXE and feed, its own."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr, model_validator

from shared.pxe.fields import to_field
from shared.settings import FeedSettings, PxeSettings, ServiceSettings

# A fixed development-only liquidator secret, so the local run's demo can fund one known account.
DEV_LIQUIDATOR_KEY = "0x0dea1e5c0de0f11901da70c0ffee0000000000000000000000000000000000a1"


class LiquidationEngineSettings(ServiceSettings, PxeSettings, FeedSettings):
    service_name: ClassVar[str] = "liquidation-engine"
    database_name: ClassVar[str] = "liquidation-engine"

    liquidation_engine_port: int = Field(3002, ge=1, le=65535)
    note_monitor_url: str = "http://127.0.0.1:3001"  # positions are read here
    price_service_url: str = "http://127.0.0.1:3000"  # when the feed keeps no time: who set each price, and when
    liquidator_private_key: SecretStr = SecretStr("")
    sweep_interval: float = Field(60, gt=0)
    dry_run: bool = False
    receipt_timeout: float = Field(120, gt=0)
    receipt_poll_interval: float = Field(0.5, gt=0)
    cooldown_base: float = Field(30, gt=0)
    cooldown_max: float = Field(900, gt=0)
    max_concurrent_liquidations: int = Field(16, ge=1, le=256)
    monitor_page_size: int = Field(5000, ge=1, le=5000)
    # Engines sharing one PostgreSQL database: an engine silent this long is gone, its attempts taken over.
    engine_lease_ttl: float = Field(15, gt=0)

    @model_validator(mode="after")
    def _required_in_production(self) -> "LiquidationEngineSettings":
        if self.cooldown_max < self.cooldown_base:
            raise ValueError("COOLDOWN_MAX must be at least COOLDOWN_BASE")
        if self.environment == "development":
            if not self.liquidator_private_key.get_secret_value():
                self.liquidator_private_key = SecretStr(DEV_LIQUIDATOR_KEY)
        elif not self.liquidator_private_key.get_secret_value():
            raise ValueError("LIQUIDATOR_PRIVATE_KEY is required in production")
        try:
            to_field(self.liquidator_private_key.get_secret_value())
        except ValueError:
            # The message never repeats the value.
            raise ValueError("LIQUIDATOR_PRIVATE_KEY must be a field element: 0x and up to 64 hex digits, below 2**254") from None
        return self

    @property
    def port(self) -> int:
        return self.liquidation_engine_port

    @property
    def stale_after(self) -> float:
        """An oracle price older than this is not used (twice the price service's heartbeat)."""
        return 2 * self.price_heartbeat
