"""Price-service settings (README.md, Configuration): the common groups, its PXE and feed, its sources."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from services.price_service.settings_checks import MIN_LEASE_TTL, MOCK_CMC_KEYS, check_production, check_timing, check_urls
from services.price_service.sources.wire import parse_symbol_map
from shared.feeds.kinds import AZTEC_FEED, EVM_ORACLE
from shared.pxe.fields import normalize_address, to_field
from shared.settings import FeedSettings, PxeSettings, ServiceSettings, check_hex, looks_like_placeholder

# anvil's second well-known development key: only ever a default in development.
DEV_UPDATER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"

SOURCE_NAMES = ("cmc", "coingecko", "coinbase", "kraken", "mock")
DEFAULT_WATCHDOG, DEFAULT_FETCH_STALE = 600.0, 300.0  # or longer, as the poll interval asks (below)
# SYMBOL=value lists: (value pattern, what a value must look like, how to normalise it).
SYMBOL_MAPS: dict[str, tuple[str, str, Any]] = {
    "cmc_ids": (r"[1-9][0-9]{0,9}", "a CoinMarketCap id is a positive whole number (BTC=1)", str.strip),
    "coingecko_ids": (r"[a-z0-9][a-z0-9._-]{0,99}", "a CoinGecko id is lower-case letters, digits, . _ - (BTC=bitcoin)",
                      lambda v: v.strip().lower()),
    "coinbase_products": (r"[A-Z0-9]{1,15}-USD", "a Coinbase product is quoted in USD (BTC=BTC-USD)",
                          lambda v: v.strip().upper()),
    "kraken_pairs": (r"[A-Z0-9]{1,15}USD", "a Kraken pair is quoted in USD (BTC=XBTUSD)", lambda v: v.strip().upper()),
    "asset_tokens": (r"0x[0-9a-f]{64}", "a token is an Aztec address, 0x and up to 64 hex digits (BTC=0x1f...)",
                     lambda v: _aztec_address_or_as_is(v.strip())),
}


class PriceServiceSettings(ServiceSettings, PxeSettings, FeedSettings):
    service_name: ClassVar[str] = "price-service"
    database_name: ClassVar[str] = "price-service"

    price_service_port: int = Field(3000, ge=1, le=65535)
    # Every engine replica is notified (comma-separated).
    liquidation_engine_url: str = "http://127.0.0.1:3002"
    cmc_api_key: SecretStr = SecretStr("")
    cmc_base_url: str = "https://pro-api.coinmarketcap.com"
    price_poll_interval: float = Field(60, gt=0)
    price_change_threshold: Decimal = Field(Decimal("0.5"), gt=0, le=100)
    max_tracked_assets: int = Field(50, ge=1, le=500)
    max_price_jump: Decimal = Field(Decimal("50"), gt=0)
    oracle_updater_private_key: SecretStr = SecretStr("")
    mock_seed: int = 42
    mock_crash_probability: float = Field(0.0, ge=0, le=1)
    mock_crash_bps: int = Field(2500, ge=1, le=9000)
    notify_attempts: int = Field(3, ge=1, le=10)
    # Empty: 300, or twice PRICE_POLL_INTERVAL when that is longer (it must exceed one interval).
    fetch_stale_after: float | None = Field(None, gt=0)
    # One source's whole fetch, retries included: a source slower than this fails this cycle, the others go on.
    source_timeout: float = Field(10, gt=0, le=300)
    # Several sources and their median (issue 15); see sources/ and consensus.py.
    price_sources: str = "cmc"
    cmc_ids: str = ""
    coingecko_api_key: SecretStr = SecretStr("")
    coingecko_key_kind: Literal["pro", "demo"] = "pro"
    coingecko_base_url: str = "https://pro-api.coingecko.com/api/v3"
    coingecko_ids: str = ""
    coinbase_base_url: str = "https://api.exchange.coinbase.com"
    coinbase_products: str = ""
    kraken_base_url: str = "https://api.kraken.com"
    kraken_pairs: str = ""
    # nocom-v1: the Aztec price feed, written through the PXE from its admin's account (docs/money-math.md, the nocom-v1 feed).
    price_feed_admin_secret_key: SecretStr = SecretStr("")
    asset_tokens: str = ""
    # Transactions that cannot get stuck, RPC failover, the updater's balance, the watchdog (issue 15).
    tx_replace_after: float = Field(30, gt=0)
    max_fee_per_gas_gwei: int = Field(500, ge=1)
    min_updater_balance: Decimal = Field(Decimal("0.05"), ge=0)
    rpc_max_lag_blocks: int = Field(5, ge=0)
    # Empty: 600, or the floor below when that is longer (a slow poll interval).
    watchdog_timeout: float | None = Field(None, gt=0)
    min_sources: int | None = Field(None, ge=1)
    max_source_spread: Decimal = Field(Decimal("2"), gt=0, le=100)
    source_max_age: float = Field(300, gt=0)
    # Replicas on one database (issue 14): the leader's lease; empty is min(15, PRICE_POLL_INTERVAL / 2).
    price_lease_ttl: float | None = Field(None, gt=0)

    @field_validator("price_sources", mode="before")
    @classmethod
    def _known_sources(cls, value: Any) -> str:
        names = [n.strip().lower() for n in str(value).split(",") if n.strip()]
        if not names:
            raise ValueError("PRICE_SOURCES: name at least one source")
        for name in names:
            if name not in SOURCE_NAMES:
                raise ValueError(f"PRICE_SOURCES: unknown source '{name[:20]}' (known: {', '.join(SOURCE_NAMES)})")
        if len(set(names)) != len(names):
            # A source listed twice would count twice towards MIN_SOURCES and the median.
            raise ValueError("PRICE_SOURCES: a source is listed twice")
        return ",".join(names)

    @field_validator("cmc_ids", "coingecko_ids", "coinbase_products", "kraken_pairs", "asset_tokens")
    @classmethod
    def _symbol_map(cls, value: str, info: ValidationInfo) -> str:
        name = info.field_name or ""
        pattern, hint, normalise = SYMBOL_MAPS[name]
        parsed = parse_symbol_map(name.upper(), value, re.compile(pattern), hint, normalise=normalise)
        return ",".join(f"{symbol}={target}" for symbol, target in parsed.items())

    @field_validator("coingecko_key_kind", mode="before")
    @classmethod
    def _lower_kind(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("min_sources", "price_lease_ttl", "watchdog_timeout", "fetch_stale_after", mode="before")
    @classmethod
    def _empty_is_default(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _chain_settings(self) -> "PriceServiceSettings":
        if self.watchdog_timeout is None:
            self.watchdog_timeout = max(DEFAULT_WATCHDOG, self.watchdog_floor)
        if self.fetch_stale_after is None:
            self.fetch_stale_after = max(DEFAULT_FETCH_STALE, 2 * self.price_poll_interval)
        self._check_source_keys()
        check_timing(self)
        check_urls(self)
        FEED_WRITER_CHECKS[self.feed_kind](self)
        check_production(self)
        return self

    @property
    def watchdog_floor(self) -> float:
        """The shortest WATCHDOG_TIMEOUT: two poll intervals and a source's timeout, so one late cycle passes."""
        return 2 * self.price_poll_interval + self.source_timeout

    @property
    def watchdog_seconds(self) -> float:
        return self.watchdog_timeout if self.watchdog_timeout is not None else max(DEFAULT_WATCHDOG, self.watchdog_floor)

    @property
    def fetch_stale_seconds(self) -> float:
        return self.fetch_stale_after if self.fetch_stale_after is not None else DEFAULT_FETCH_STALE

    def _check_evm_writer(self) -> None:
        if self.environment == "development" and not self.oracle_updater_private_key.get_secret_value():
            self.oracle_updater_private_key = SecretStr(DEV_UPDATER_KEY)
        if self.environment == "production" and not self.oracle_updater_private_key.get_secret_value():
            raise ValueError("ORACLE_UPDATER_PRIVATE_KEY is required in production")
        check_hex("ORACLE_UPDATER_PRIVATE_KEY", self.oracle_updater_private_key.get_secret_value(), 64)

    def _check_aztec_writer(self) -> None:
        for name in ("price_feed_address", "price_feed_admin_secret_key", "asset_tokens"):
            value = getattr(self, name)
            if not (value.get_secret_value() if isinstance(value, SecretStr) else value):
                raise ValueError(f"{name.upper()} is required with PROTOCOL={self.protocol}")
        try:
            to_field(self.price_feed_admin_secret_key.get_secret_value())
        except ValueError:
            raise ValueError("PRICE_FEED_ADMIN_SECRET_KEY must be a field element: 0x and up to 64 hex digits") from None

    def _check_source_keys(self) -> None:
        names = self.source_names
        cmc_key = self.cmc_api_key.get_secret_value().strip()
        if "cmc" in names and cmc_key.lower() in MOCK_CMC_KEYS:
            raise ValueError("CMC_API_KEY is required when PRICE_SOURCES lists cmc with other sources "
                             "(empty or mock means the mock source only when cmc is the only source)")
        if "cmc" in names and looks_like_placeholder(cmc_key):
            raise ValueError("CMC_API_KEY: a placeholder key is not accepted (use a real key, or mock)")
        coingecko_key = self.coingecko_api_key.get_secret_value().strip()
        if "coingecko" in names and not coingecko_key:
            raise ValueError("COINGECKO_API_KEY is required when PRICE_SOURCES lists coingecko")
        if "coingecko" in names and looks_like_placeholder(coingecko_key):
            raise ValueError("COINGECKO_API_KEY: a placeholder key is not accepted")
        if self.min_sources is not None and self.min_sources > len(names):
            raise ValueError(f"MIN_SOURCES ({self.min_sources}) is more than the {len(names)} source(s) in "
                             "PRICE_SOURCES: no price could ever be pushed")

    @property
    def port(self) -> int:
        return self.price_service_port

    @property
    def source_names(self) -> list[str]:
        """The sources to combine. PRICE_SOURCES=cmc (the default) with CMC_API_KEY empty or
        `mock` keeps its first-release meaning: the mock source alone."""
        names = self.price_sources.split(",")
        if names == ["cmc"] and self.cmc_api_key.get_secret_value().strip().lower() in MOCK_CMC_KEYS:
            return ["mock"]
        return names

    @property
    def uses_mock_source(self) -> bool:
        return "mock" in self.source_names

    @property
    def lease_ttl(self) -> float:
        """Seconds the leader's lease lasts unrenewed (PRICE_LEASE_TTL, or half a poll within 1 to 15 s)."""
        if self.price_lease_ttl is not None:
            return self.price_lease_ttl
        return max(MIN_LEASE_TTL, min(15.0, self.price_poll_interval / 2))

    @property
    def required_sources(self) -> int:
        """MIN_SOURCES, or by default 1 with one source and 2 with more."""
        if self.min_sources is not None:
            return self.min_sources
        return 1 if len(self.source_names) == 1 else 2

    @property
    def cmc_id_map(self) -> dict[str, str]:
        return _pairs(self.cmc_ids)

    @property
    def coingecko_id_map(self) -> dict[str, str]:
        return _pairs(self.coingecko_ids)

    @property
    def coinbase_product_map(self) -> dict[str, str]:
        return _pairs(self.coinbase_products)

    @property
    def kraken_pair_map(self) -> dict[str, str]:
        return _pairs(self.kraken_pairs)

    @property
    def asset_token_map(self) -> dict[str, str]:
        """Symbol -> the token's Aztec address its feed price is keyed by (nocom-v1)."""
        return _pairs(self.asset_tokens)


def _aztec_address_or_as_is(value: str) -> str:
    try:
        return normalize_address(value)
    except ValueError:
        return value  # left for the pattern to refuse, with the setting's name


def _pairs(normalised: str) -> dict[str, str]:
    """A SYM=value list the validators already checked and normalised."""
    return dict(entry.split("=", 1) for entry in normalised.split(",") if entry)


# What writing each kind of feed needs besides its address (FeedSettings checks that).
FEED_WRITER_CHECKS = {EVM_ORACLE: PriceServiceSettings._check_evm_writer, AZTEC_FEED: PriceServiceSettings._check_aztec_writer}
