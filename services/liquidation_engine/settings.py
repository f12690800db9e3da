"""liquidation-engine settings (SPEC section 2)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr, model_validator

from shared.protocols import rules_for
from shared.pxe.fields import to_field
from shared.settings import ServiceSettings, check_hex

# A fixed development-only liquidator secret, so the local run's demo can fund one known account.
DEV_LIQUIDATOR_KEY = "0x0dea1e5c0de0f11901da70c0ffee0000000000000000000000000000000000a1"


class LiquidationEngineSettings(ServiceSettings):
    service_name: ClassVar[str] = "liquidation-engine"
    database_name: ClassVar[str] = "liquidation-engine"

    pxe_url: str = "http://127.0.0.1:8080"
    rpc_url: str = "http://127.0.0.1:8545"
    oracle_address: str = ""
    price_feed_address: str = ""
    liquidator_private_key: SecretStr = SecretStr("")
    sweep_interval: float = Field(60, gt=0)
    dry_run: bool = False
    price_heartbeat: float = Field(1800, gt=0)
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
        else:
            self._require_price_source()
            if not self.liquidator_private_key.get_secret_value():
                raise ValueError("LIQUIDATOR_PRIVATE_KEY is required in production")
        if self.oracle_address:
            check_hex("ORACLE_ADDRESS", self.oracle_address, 40)
        if self.price_feed_address:
            check_hex("PRICE_FEED_ADDRESS", self.price_feed_address, 64, exact=False)
        try:
            to_field(self.liquidator_private_key.get_secret_value())
        except ValueError:
            # The message never repeats the value.
            raise ValueError("LIQUIDATOR_PRIVATE_KEY must be a field element: 0x and up to 64 hex digits, below 2**254") from None
        return self

    def _require_price_source(self) -> None:
        """The protocol's prices live in an EVM PriceOracle or in an Aztec price feed: its address is required."""
        if rules_for(self.protocol).PRICE_FEED == "aztec-feed":
            if not self.price_feed_address:
                raise ValueError(f"PRICE_FEED_ADDRESS is required in production with PROTOCOL={self.protocol}")
        elif not self.oracle_address:
            raise ValueError("ORACLE_ADDRESS is required in production")

    @property
    def stale_after(self) -> float:
        """An oracle price older than this is not used (twice the price service's heartbeat)."""
        return 2 * self.price_heartbeat
