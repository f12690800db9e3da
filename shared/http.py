"""The one policy for requests to outside HTTP services (price APIs, the note monitor, the engines).

A request that is safe to repeat is tried again after a transport error (a timeout, a refused
connection) or a server error (5xx), with exponential backoff. A rate limit (429) is honoured: the
request is tried again only after the server's `Retry-After` (or the backoff when it gives none),
and only when that wait is at most `max_wait`; otherwise the 429 is returned at once, and the caller
keeps away until `retry_after_seconds` says it may come back. Other answers are returned as they are.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from shared.retry import backoff_delay

RATE_LIMITED = 429


def make_client(base_url: str = "", timeout: float = 10.0, connect_timeout: float = 3.0, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        **kwargs,
    )


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """The Retry-After header as seconds from now: delta-seconds or an HTTP date; None if absent."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(int(raw))
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, moment.timestamp() - now)


def is_server_error(response: httpx.Response) -> bool:
    return response.status_code >= 500


class HttpUnreachable(Exception):
    """Every attempt failed without an answer; `last` is the last transport error."""

    def __init__(self, attempts: int, last: httpx.TransportError) -> None:
        self.attempts, self.last = attempts, last
        super().__init__(f"gave up after {attempts} attempts: {type(last).__name__}")


async def request_with_retry(
    client: httpx.AsyncClient, method: str, url: str, *, attempts: int = 3, backoff: float = 0.2, max_wait: float = 10.0,
    retryable: Callable[[httpx.Response], bool] = is_server_error, clock: Callable[[], float] = time.time,
    on_retry: Callable[[int, str], None] | None = None, **kwargs: Any,
) -> httpx.Response:
    """The first answer that is neither retryable nor a rate limit worth waiting for; the last answer when
    the attempts run out; HttpUnreachable when no attempt got an answer. `on_retry(attempt, reason)` is
    told of each failed attempt that will be tried again."""
    for attempt in range(1, max(1, attempts) + 1):
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            if attempt >= attempts:
                raise HttpUnreachable(attempt, exc) from exc
            _told(on_retry, attempt, type(exc).__name__)
            await asyncio.sleep(backoff_delay(attempt, backoff))
            continue
        if attempt >= attempts:
            return response
        if response.status_code == RATE_LIMITED:
            wait = retry_after_seconds(response.headers, clock())
            wait = backoff_delay(attempt, backoff) if wait is None else wait
            if wait > max_wait:
                return response
            _told(on_retry, attempt, f"HTTP {response.status_code}")
            await asyncio.sleep(wait)
        elif retryable(response):
            _told(on_retry, attempt, f"HTTP {response.status_code}")
            await asyncio.sleep(backoff_delay(attempt, backoff))
        else:
            return response
    raise AssertionError("unreachable: the last attempt returns or raises")


def _told(on_retry: Callable[[int, str], None] | None, attempt: int, reason: str) -> None:
    if on_retry is not None:
        on_retry(attempt, reason)
