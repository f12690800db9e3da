"""httpx client factory and idempotent requests retried on transport errors and 5xx/429."""

from __future__ import annotations

from typing import Any

import httpx

from shared.retry import RetriesExhausted, retry

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def make_client(base_url: str = "", timeout: float = 10.0, connect_timeout: float = 3.0, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        **kwargs,
    )


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
