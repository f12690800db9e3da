"""liquidation-engine settings (README.md, Configuration): the common groups, its PXE and feed, its own."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr, model_validator

from shared.pxe.fields import to_field
from shared.settings import FeedSettings, PxeSettings, ServiceSettings, url_list

# A fixed development-only liquidator secret, so the local run's demo can fund one known account.
DEV_LIQUIDATOR_KEY = "0x0dea1e5c0de0f11901da70c0ffee0000000000000000000000000000000000a1"
# Secrets anyone can read, refused in production: the development default above, the local run's liquidator
# (devnet/suite.py; tests/services/liquidation_engine/test_settings.py keeps the two lists in step) and
# the funded test accounts of Aztec's sandbox (@aztec/accounts/testing, INITIAL_TEST_SECRET_KEYS).
PUBLISHED_KEYS = frozenset(int(k, 16) for k in (
    DEV_LIQUIDATOR_KEY,
    "0x1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d01",
    "0x2153536ff6628eee01cf4024889ff977a18d9fa61d0e414422f7681cf085c281",
    "0x0aebd1b4be76efa44f5ee655c20bf9ea60f7ae44b9a7fd1fd9f189c7a0b0cdae",
    "0x0f6addf0da06c33293df974a565b03d1ab096090d907d98055a8b7f4954e120c",
))
MIN_LEASE_TTL = 2.0  # renewed every third: a database round trip slower than that is no reason for a takeover


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
    # A real PXE proves a bundle in seconds (fake proofs) to minutes (real ones), after its turn.
    prove_timeout: float = Field(300, gt=0)
    monitor_page_size: int = Field(5000, ge=1, le=5000)
    # Engines sharing one PostgreSQL database: an engine silent this long is gone, its attempts taken over.
    engine_lease_ttl: float = Field(15, ge=MIN_LEASE_TTL)

    @model_validator(mode="after")
    def _required_in_production(self) -> "LiquidationEngineSettings":
        if self.cooldown_max < self.cooldown_base:
            raise ValueError("COOLDOWN_MAX must be at least COOLDOWN_BASE")
        _one_url("NOTE_MONITOR_URL", self.note_monitor_url)
        if self.price_service_url.strip():
            self.price_service_url = _one_url("PRICE_SERVICE_URL", self.price_service_url)
        else:
            self.price_service_url = ""
        self._liquidator_key()
        return self

    def _liquidator_key(self) -> None:
        # No message here ever repeats the value.
        if self.environment == "development":
            if not self.liquidator_private_key.get_secret_value():
                self.liquidator_private_key = SecretStr(DEV_LIQUIDATOR_KEY)
        elif not self.liquidator_private_key.get_secret_value():
            raise ValueError("LIQUIDATOR_PRIVATE_KEY is required in production")
        try:
            key = int(to_field(self.liquidator_private_key.get_secret_value()), 16)
        except ValueError:
            raise ValueError("LIQUIDATOR_PRIVATE_KEY must be a field element: 0x and up to 64 hex digits, below 2**254") from None
        if self.environment == "production" and key in PUBLISHED_KEYS:
            raise ValueError("LIQUIDATOR_PRIVATE_KEY is a published development key (anyone can spend from its "
                             "account): set the liquidator's own secret key in production")

    @property
    def port(self) -> int:
        return self.liquidation_engine_port

    @property
    def feed_age_known(self) -> bool:
        """Whether each price's age can be known: the feed keeps time (the EVM oracle), or the price service
        that writes a feed that keeps none says when it wrote each price."""
        return self.feed_kind.keeps_time or bool(self.price_service_url)

    @property
    def stale_after(self) -> float:
        """An oracle price older than this is not used (twice the price service's heartbeat)."""
        return 2 * self.price_heartbeat


def _one_url(setting: str, raw: str) -> str:
    urls = url_list(setting, raw)
    if len(urls) != 1:
        raise ValueError(f"{setting} must be one http(s) URL")
    return urls[0]
