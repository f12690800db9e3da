"""structlog JSON logging with the `service` field and secret masking (docs/log-events.md)."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from shared.log_sampling import RepeatSampler

MASK = "***"
_SECRET_NAME_PARTS = ("secret", "private", "password", "apikey", "api_key", "authorization", "x-api-key")
_known_secrets: set[str] = set()


def register_secret(value: str) -> None:
    """Any log value containing this string gets it replaced by ***."""
    if value and len(value) >= 6:
        _known_secrets.add(value)


def is_secret_name(name: str) -> bool:
    lowered = name.lower().replace("-", "_")
    return any(part.replace("-", "_") in lowered for part in _SECRET_NAME_PARTS)


def mask(value: Any, name: str = "") -> Any:
    if name and is_secret_name(name) and value not in (None, "", False):
        return MASK
    if isinstance(value, str):
        for secret in _known_secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {k: mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    return value


def _mask_processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if k in ("event", "level", "timestamp", "service") else mask(v, k)) for k, v in event_dict.items()}


def configure_logging(service: str, level: str = "info", fmt: str = "json") -> None:
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service),
        RepeatSampler(),
        structlog.processors.format_exc_info,
        _mask_processor,
        renderer,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.INFO)),
        # No file bound here: each line goes to the sys.stdout of its moment (pytest swaps it).
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=False,
    )
    # uvicorn and httpx log through stdlib; keep them quiet and off stdout's JSON stream.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    for noisy in ("httpx", "httpcore", "uvicorn.access", "web3", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _add_service(service: str) -> Any:
    def processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    return processor


def get_logger(**bound: Any) -> Any:
    return structlog.get_logger(**bound)
