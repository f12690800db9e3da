"""httpx client factory and bounded retries with backoff for idempotent calls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def make_client(base_url: str = "", timeout: float = 10.0, connect_timeout: float = 3.0, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        **kwargs,
    )


class RetriesExhausted(Exception):
    def __init__(self, attempts: int, last: BaseException | None, response: httpx.Response | None = None) -> None:
        self.attempts = attempts
        self.last = last
        self.response = response
        super().__init__(f"gave up after {attempts} attempts: {last!r}" if last else f"gave up after {attempts} attempts")


def backoff_delay(attempt: int, base: float, cap: float = 10.0) -> float:
    return min(cap, base * (2 ** (attempt - 1)))


async def retry(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = 3,
    backoff: float = 0.2,
    retry_on: tuple[type[BaseException], ...] = (httpx.TransportError,),
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> T:
    """Run `call` up to `attempts` times, sleeping with exponential backoff between tries."""
    last: BaseException | None = None
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except retry_on as exc:
            last = exc
            if attempt == attempts:
                break
            if on_retry:
                on_retry(attempt, exc)
            await asyncio.sleep(backoff_delay(attempt, backoff))
    raise RetriesExhausted(attempts, last)


class RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        super().__init__(f"HTTP {response.status_code}")


async def request_with_retry(
    client: httpx.AsyncClient, method: str, url: str, *, attempts: int = 3, backoff: float = 0.2, **kwargs: Any
) -> httpx.Response:
    """An idempotent request retried on transport errors and 5xx/429; the last response is returned."""

    async def once() -> httpx.Response:
        response = await client.request(method, url, **kwargs)
        if response.status_code in RETRYABLE_STATUS:
            raise RetryableStatus(response)
        return response

    try:
        return await retry(once, attempts=attempts, backoff=backoff, retry_on=(httpx.TransportError, RetryableStatus))
    except RetriesExhausted as exc:
        if isinstance(exc.last, RetryableStatus):
            return exc.last.response
        raise
