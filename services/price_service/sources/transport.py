"""One GET with bounded retries for the HTTP price sources; failures come back secret-free.

Retried: transport errors (timeouts, refused connections) and answers the source calls
retryable (5xx by default). Not retried: 4xx, rate limits included, because another try
inside the same cycle only spends more of the allowance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from shared.http import RetriesExhausted, retry


class TransportFailure(Exception):
    """No usable answer. `str()` holds only exception type names and counts, never a URL or header."""

    def __init__(self, message: str, response: httpx.Response | None = None) -> None:
        self.response = response
        super().__init__(message)


class _Retryable(Exception):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        super().__init__(f"HTTP {response.status_code}")


def is_server_error(response: httpx.Response) -> bool:
    return response.status_code >= 500


async def get_with_retries(
    client: httpx.AsyncClient,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    attempts: int = 3,
    backoff: float = 0.5,
    retryable: Callable[[httpx.Response], bool] = is_server_error,
) -> httpx.Response:
    """The first answer that is not retryable; TransportFailure when every attempt failed."""

    async def once() -> httpx.Response:
        response = await client.get(url, params=params, headers=headers)
        if retryable(response):
            raise _Retryable(response)
        return response

    try:
        return await retry(once, attempts=max(1, attempts), backoff=backoff, retry_on=(httpx.TransportError, _Retryable))
    except RetriesExhausted as exc:
        raise _exhausted(exc) from None
    except httpx.HTTPError as exc:
        raise TransportFailure(f"request failed: {type(exc).__name__}") from None


def _exhausted(exc: RetriesExhausted) -> TransportFailure:
    last = exc.last
    tail = f"(gave up after {exc.attempts} attempts)"
    if isinstance(last, _Retryable):
        return TransportFailure(f"server error {tail}", last.response)
    kind = "timed out" if isinstance(last, httpx.TimeoutException) else f"transport error {type(last).__name__}"
    return TransportFailure(f"{kind} {tail}")


def json_headers(extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"Accept": "application/json", **(extra or {})}
