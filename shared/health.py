"""Live dependency checks for GET /health, bounded in time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

PROBE_TIMEOUT = 2.0


async def probe(check: Awaitable[bool], timeout: float = PROBE_TIMEOUT) -> bool:
    """False when the dependency says no, fails, or is slower than `timeout`: a health check that
    hangs on a slow chain or PXE would look like this service is down too."""
    try:
        return bool(await asyncio.wait_for(check, timeout))
    except Exception:  # noqa: BLE001 - any failure is "not reachable" here
        return False
