"""One typed settings base for every service (SPEC section 2).

A missing or invalid setting stops the service with one line naming the setting;
secret values never appear in that line or in any log.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from decimal import Decimal
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.logging import register_secret
from shared.protocols import ProtocolName

MIN_API_KEY_LENGTH = 32
PLACEHOLDER_MARKERS = ("change", "placeholder", "example", "your", "replace", "xxxx", "secret-key-here")

S = TypeVar("S", bound="ServiceSettings")


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


def looks_like_placeholder(key: str) -> bool:
    lowered = key.lower()
    return any(marker in lowered for marker in PLACEHOLDER_MARKERS) or len(set(key)) < 8


class ServiceSettings(BaseSettings):
    """Settings every service reads. Subclasses add their own fields."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    service_name: ClassVar[str] = "service"
    database_name: ClassVar[str] = "service"

    environment: Literal["production", "development"] = "production"
    protocol: ProtocolName = "reference"
    liquidation_api_key: SecretStr | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    database_url: str = ""
    host: str = "127.0.0.1"
    price_service_port: int = Field(3000, ge=1, le=65535)
    note_monitor_port: int = Field(3001, ge=1, le=65535)
    liquidation_engine_port: int = Field(3002, ge=1, le=65535)
    price_service_url: str = ""
    note_monitor_url: str = ""
    liquidation_engine_url: str = ""
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    # Names this replica in the shared database's leases and in /health; unique per running process.
    instance_id: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9._-]*$")

    _api_key_generated: bool = PrivateAttr(default=False)

    @model_validator(mode="before")
    @classmethod
    def _lower_enums(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("environment", "log_level", "log_format", "protocol"):
                for key in (name, name.upper()):
                    if isinstance(data.get(key), str):
                        data[key] = data[key].strip().lower()
        return data

    @model_validator(mode="after")
    def _derive(self) -> "ServiceSettings":
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///./data/{self.database_name}.db"
        if not self.instance_id:
            self.instance_id = f"{socket.gethostname()[:40]}-{os.getpid()}"
        for name, port in (
            ("price_service", self.price_service_port),
            ("note_monitor", self.note_monitor_port),
            ("liquidation_engine", self.liquidation_engine_port),
        ):
            url = getattr(self, f"{name}_url")
            setattr(self, f"{name}_url", (url or f"http://127.0.0.1:{port}").rstrip("/"))
        self._check_api_key()
        return self

    def _check_api_key(self) -> None:
        raw = self.liquidation_api_key.get_secret_value() if self.liquidation_api_key else ""
        keys = split_keys(raw)
        if not keys:
            if self.environment != "development":
                raise ValueError("LIQUIDATION_API_KEY is required in production")
            generated = secrets.token_urlsafe(48)
            self.liquidation_api_key = SecretStr(generated)
            self._api_key_generated = True
            return
        for key in keys:
            if len(key) < MIN_API_KEY_LENGTH:
                raise ValueError(f"LIQUIDATION_API_KEY: every key must be at least {MIN_API_KEY_LENGTH} characters")
            if looks_like_placeholder(key):
                raise ValueError("LIQUIDATION_API_KEY: a placeholder key is not accepted; generate one with scripts/generate_api_key.py")

    @property
    def api_key_generated(self) -> bool:
        return self._api_key_generated

    @property
    def api_keys(self) -> list[str]:
        """All accepted keys; the first is the one this service sends."""
        return split_keys(self.liquidation_api_key.get_secret_value()) if self.liquidation_api_key else []

    @property
    def port(self) -> int:
        return getattr(self, f"{self.service_name.replace('-', '_')}_port")

    def masked(self) -> dict[str, Any]:
        """Settings for the `Service started` log event, secrets replaced by ***."""
        out: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr):
                value = "***" if value.get_secret_value() else ""
            elif isinstance(value, Decimal):
                value = str(value)
            out[name] = value
        return out


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
    return settings


def load_settings_or_exit(cls: type[S]) -> S:
    try:
        return load_settings(cls)
    except SettingsError as exc:
        print(f"{cls.service_name}: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
