"""Fixtures for the note-monitor API tests (test_api_*.py): a development PXE per module, fresh
tokens and a pool per test, the monitor's JSON logs, and a running monitor (monitor_harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from devnet.pxe.background import running_dev_pxe
from shared.logging import configure_logging
from tests.services.note_monitor.monitor_harness import Logs, Monitor, dev, running_monitor, settings_for


@pytest.fixture
def logs() -> Iterator[Logs]:
    """The monitor's JSON log lines, in a buffer of their own that outlives pytest's capture."""
    previous = structlog.get_config()
    configure_logging("note-monitor")
    buffer = Logs()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=buffer))
    yield buffer
    structlog.configure(**previous)


@pytest.fixture(scope="module")
def pxe() -> Iterator[Any]:
    with running_dev_pxe() as server:
        yield server


@pytest.fixture
async def world(pxe: Any) -> dict[str, str]:
    """Fresh tokens and a pool for each test, so tests never see each other's escrows."""
    btc = await dev(pxe.url, "dev_createToken", "BTC")
    usdc = await dev(pxe.url, "dev_createToken", "USDC")
    pool = await dev(pxe.url, "dev_createPool", btc, usdc, 7000, 8000)
    return {"btc": btc, "usdc": usdc, "pool": pool}


@pytest.fixture
async def monitor(tmp_path: Path, pxe: Any, logs: Logs) -> AsyncIterator[Monitor]:
    async with running_monitor(settings_for(tmp_path, pxe.url)) as m:
        yield m
