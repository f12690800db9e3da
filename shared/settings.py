"""Settings, composed from groups each declared once (README.md, Configuration).

Every service reads `ServiceSettings` (its environment, protocol, logging, API keys, database); a
service that talks to a PXE adds `PxeSettings`, one that reads a price feed adds `FeedSettings`, and
each declares its own settings besides. A missing or invalid setting stops the service with one line
naming the setting; secret values never appear in that line or in any log.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from decimal import Decimal
from typing import Any, ClassVar, Literal, TypeVar
from urllib.parse import unquote, urlsplit

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.db import database_password, without_password
from shared.feeds.kinds import FeedKind
from shared.logging import register_secret
from shared.protocols import ProtocolName, rules_for

MIN_API_KEY_LENGTH = 32
PLACEHOLDER_MARKERS = ("change", "placeholder", "example", "your", "replace", "xxxx", "secret-key-here")

S = TypeVar("S", bound="ServiceSettings")
DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it and never holds its value."""


def split_keys(raw: str) -> list[str]:
    return [k.strip() for k in raw.split(",") if k.strip()]


def check_hex(setting: str, value: str, digits: int, exact: bool = True) -> str:
    """Validate a 0x-hex setting (an address or key); the message names the setting, never the value."""
    body = value[2:] if value[:2].lower() == "0x" else ""
    ok = body and all(c in "0123456789abcdefABCDEF" for c in body) and (len(body) == digits if exact else len(body) <= digits)
    if not ok:
        size = f"{digits}" if exact else f"up to {digits}"
        raise ValueError(f"{setting} must be 0x followed by {size} hex digits")
    return value


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def url_list(setting: str, raw: str, *, https_outside_loopback: bool = False) -> list[str]:
    """A comma-separated list of http(s) URLs, at least one, each without a trailing slash. With
    `https_outside_loopback` a plain-http URL is refused unless it points at this machine (a local proxy),
    because what it carries (an API key, say) would travel in clear."""
    urls = [u.strip().rstrip("/") for u in raw.split(",") if u.strip()]
    if not urls:
        raise ValueError(f"{setting} must name at least one http(s) URL")
    for url in urls:
        parsed = urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"{setting} must be http(s) URLs, comma-separated")
        if https_outside_loopback and parsed.scheme == "http" and parsed.hostname not in LOOPBACK_HOSTS:
            raise ValueError(f"{setting} must use https (plain http only to a loopback address such as a local proxy)")
    return urls


def looks_like_placeholder(key: str) -> bool:
    lowered = key.lower()
    return any(marker in lowered for marker in PLACEHOLDER_MARKERS) or len(set(key)) < 8


class SettingsGroup(BaseSettings):
    """The root of every group: how settings are read, and what each group may assume of the others."""

    # allow_inf_nan=False: a duration of inf or nan (PRICE_POLL_INTERVAL=inf) would stop a loop forever.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False, allow_inf_nan=False)

    environment: Literal["production", "development"] = "production"
    protocol: ProtocolName = "reference"

    @model_validator(mode="before")
    @classmethod
    def _lower_enums(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("environment", "log_level", "log_format", "protocol"):
                for key in (name, name.upper()):
                    if isinstance(data.get(key), str):
                        data[key] = data[key].strip().lower()
        return data


class ApiKeySettings(SettingsGroup):
    """LIQUIDATION_API_KEY: what every service checks on requests and sends to the others."""

    liquidation_api_key: SecretStr | None = None
    _api_key_generated: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _check_api_key(self) -> ApiKeySettings:
        keys = split_keys(self.liquidation_api_key.get_secret_value() if self.liquidation_api_key else "")
        if not keys:
            if self.environment != "development":
                raise ValueError("LIQUIDATION_API_KEY is required in production")
            self.liquidation_api_key = SecretStr(secrets.token_urlsafe(48))
            self._api_key_generated = True
            return self
        for key in keys:
            if len(key) < MIN_API_KEY_LENGTH:
                raise ValueError(f"LIQUIDATION_API_KEY: every key must be at least {MIN_API_KEY_LENGTH} characters")
            if looks_like_placeholder(key):
                raise ValueError("LIQUIDATION_API_KEY: a placeholder key is not accepted; generate one with scripts/generate_api_key.py")
        return self

    @property
    def api_key_generated(self) -> bool:
        return self._api_key_generated

    @property
    def api_keys(self) -> list[str]:
        """All accepted keys; the first is the one this service sends."""
        return split_keys(self.liquidation_api_key.get_secret_value()) if self.liquidation_api_key else []


class DatabaseSettings(SettingsGroup):
    """Where the service keeps what must survive a restart, and its name among replicas sharing it."""

    database_name: ClassVar[str] = "service"
    database_url: str = ""
    # Names this replica in the shared database's leases and in /health; unique per running process.
    instance_id: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9._-]*$")

    @model_validator(mode="after")
    def _database_defaults(self) -> DatabaseSettings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///./data/{self.database_name}.db"
        scheme = self.database_url.split("://", 1)[0] if "://" in self.database_url else ""
        if scheme not in DATABASE_SCHEMES:
            # The message never repeats the URL: it may hold a password.
            raise ValueError(f"DATABASE_URL must start with {' or '.join(s + '://' for s in DATABASE_SCHEMES)}")
        if not self.instance_id:
            self.instance_id = f"{socket.gethostname()[:40]}-{os.getpid()}"
        return self


class PxeSettings(SettingsGroup):
    """The PXE JSON-RPC (docs/pxe-jsonrpc.md): gateways on a real network, or the development PXE.

    A real PXE runs one job at a time, seconds each, so work that must not queue behind other work can
    use gateways of its own: PXE_URL lists the gateways of every role; PXE_SEND_URL (transactions: proofs)
    and PXE_READ_URL (note reads, simulations) replace it for their role. Each is a comma-separated list
    whose gateways share the role's work (RUNBOOK.md, "Sizing the PXE gateways").
    """

    pxe_url: str = "http://127.0.0.1:8080"
    pxe_send_url: str = ""
    pxe_read_url: str = ""

    @model_validator(mode="after")
    def _pxe_urls(self) -> PxeSettings:
        url_list("PXE_URL", self.pxe_url)
        for role in ("send", "read"):
            raw = getattr(self, f"pxe_{role}_url")
            if raw.strip():
                url_list(f"PXE_{role.upper()}_URL", raw)
        return self

    def pxe_urls(self, role: Literal["send", "read"]) -> list[str]:
        """The gateways that do this role's work: its own list, else PXE_URL's."""
        raw = getattr(self, f"pxe_{role}_url")
        return url_list(f"PXE_{role.upper()}_URL", raw) if raw.strip() else url_list("PXE_URL", self.pxe_url)

    @property
    def all_pxe_urls(self) -> list[str]:
        """Every gateway this service uses, once each (accounts and escrows are registered with each)."""
        return list(dict.fromkeys([*self.pxe_urls("send"), *self.pxe_urls("read")]))


class FeedSettings(SettingsGroup):
    """The protocol's price feed: the EVM PriceOracle on RPC_URL, or nocom-v1's Aztec feed (through the PXE)."""

    rpc_url: str = "http://127.0.0.1:8545"
    # The chain every RPC_URL endpoint must be on (SPEC section 2); empty: the first reachable endpoint's.
    chain_id: int | None = Field(None, ge=1, le=2**53)
    oracle_address: str = ""
    price_feed_address: str = ""
    price_heartbeat: float = Field(1800, gt=0)

    @field_validator("chain_id", mode="before")
    @classmethod
    def _empty_chain_id(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if not text.isdigit():
                raise ValueError("CHAIN_ID must be a positive whole number (the EVM chain id: 1 for Ethereum)")
            return int(text)
        return value

    @model_validator(mode="after")
    def _feed_address(self) -> FeedSettings:
        kind = self.feed_kind
        address = getattr(self, kind.address_setting)
        if not address and self.environment == "production":
            raise ValueError(f"{kind.address_setting.upper()} is required in production with PROTOCOL={self.protocol}")
        if address:
            check_hex(kind.address_setting.upper(), address, kind.address_digits, exact=kind.exact_digits)
        if kind.on_evm:
            url_list("RPC_URL", self.rpc_url)
        return self

    @property
    def feed_kind(self) -> FeedKind:
        return rules_for(self.protocol).PRICE_FEED

    @property
    def feed_address(self) -> str:
        return str(getattr(self, self.feed_kind.address_setting))


class ServiceSettings(ApiKeySettings, DatabaseSettings):
    """What every service reads. Each service adds its port (`port`) and its own settings."""

    service_name: ClassVar[str] = "service"

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    host: str = "127.0.0.1"
    max_body_bytes: int = Field(64 * 1024, ge=1024)

    @property
    def port(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} declares its own port setting")

    def masked(self) -> dict[str, Any]:
        """Settings for the `Service started` log event, secrets replaced by ***."""
        out: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr):
                value = "***" if value.get_secret_value() else ""
            elif name == "database_url":
                value = without_password(value)
            elif isinstance(value, Decimal):
                value = str(value)
            out[name] = value
        return out


def environment_names(*classes: type[BaseSettings]) -> set[str]:
    """The environment variables these settings classes read."""
    return {name.upper() for cls in classes for name in cls.model_fields}


def describe_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()) if p != "__root__")
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    if loc and loc.upper() not in message:
        return f"{loc.upper()}: {message}"
    return message


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Build settings or raise SettingsError with a one-line, secret-free message."""
    try:
        settings = cls(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_error(exc)) from None
    for value in settings.model_dump().values():
        if isinstance(value, SecretStr) and value.get_secret_value():
            register_secret(value.get_secret_value())
    for key in settings.api_keys:
        register_secret(key)
    if isinstance(settings, DatabaseSettings) and (password := database_password(settings.database_url)):
        register_secret(password)
        register_secret(unquote(password))  # as a driver's error may spell it
    return settings


def load_settings_or_exit(cls: type[S]) -> S:
    try:
        return load_settings(cls)
    except SettingsError as exc:
        print(f"{cls.service_name}: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
