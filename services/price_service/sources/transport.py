"""What the HTTP price sources share: one GET under shared.http's retry policy, failures secret-free.

Retried: transport errors (timeouts, refused connections) and answers the source calls retryable
(5xx by default). A rate limit (429) is returned at once: the source notes its Retry-After and is not
asked again before then, because another try inside the same cycle only spends more of the allowance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from shared.http import HttpUnreachable, is_server_error, make_client, request_with_retry
from shared.logging import register_secret


class TransportFailure(Exception):
    """No usable answer. `str()` holds only exception type names and counts, never a URL or header."""

    def __init__(self, message: str, response: httpx.Response | None = None) -> None:
        self.response = response
        super().__init__(message)


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
    """The first answer that is not retryable (a 429 included); TransportFailure when every attempt failed."""
    try:
        response = await request_with_retry(client, "GET", url, params=params, headers=headers, attempts=attempts,
                                            backoff=backoff, max_wait=0.0, retryable=retryable)
    except HttpUnreachable as exc:
        kind = "timed out" if isinstance(exc.last, httpx.TimeoutException) else f"transport error {type(exc.last).__name__}"
        raise TransportFailure(f"{kind} (gave up after {exc.attempts} attempts)") from None
    except httpx.HTTPError as exc:
        raise TransportFailure(f"request failed: {type(exc).__name__}") from None
    if retryable(response):
        raise TransportFailure(f"server error (gave up after {max(1, attempts)} attempts)", response)
    return response


def json_headers(extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"Accept": "application/json", **(extra or {})}


def header_secret(setting: str, value: str) -> SecretStr:
    """An API key for a request header, masked in every log from now on."""
    key = value.strip()
    if key and (not key.isascii() or not key.isprintable() or any(c.isspace() for c in key)):
        # httpx would echo an illegal header value in its error; refuse it here without the value.
        raise ValueError(f"{setting} contains characters not allowed in an HTTP header")
    register_secret(key)
    return SecretStr(key)


class HttpPriceSource:
    """A price source over HTTP: its client (closed only when made here), its retries, its clock, and why
    the symbols of the last fetch without a quote have none (`last_rejected`)."""

    def __init__(self, client: httpx.AsyncClient | None, *, attempts: int, backoff: float, timeout: float,
                 clock: Callable[[], float]) -> None:
        self._owns_client = client is None
        self._client = client if client is not None else make_client(timeout=timeout)
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._clock = clock
        self.last_rejected: dict[str, str] = {}

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _get(self, url: str, *, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
                   retryable: Callable[[httpx.Response], bool] = is_server_error) -> httpx.Response:
        return await get_with_retries(self._client, url, params=params, headers=headers or json_headers(),
                                      attempts=self._attempts, backoff=self._backoff, retryable=retryable)
