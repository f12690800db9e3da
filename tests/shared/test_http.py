"""The one retry policy for outside HTTP: server errors and transport errors retried with backoff, a rate
limit honoured (tried again only after its Retry-After, and only when that wait is short enough)."""

from __future__ import annotations

import httpx
import pytest
import respx

from shared import http
from shared.http import HttpUnreachable, request_with_retry, retry_after_seconds

URL = "https://api.example.test/thing"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(http.asyncio, "sleep", fake_sleep)
    return slept


@respx.mock
async def test_a_rate_limit_is_retried_after_its_retry_after(waits: list[float]) -> None:
    route = respx.get(URL).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200)])
    async with httpx.AsyncClient() as client:
        response = await request_with_retry(client, "GET", URL, attempts=3, backoff=0.1, max_wait=5)
    assert response.status_code == 200 and route.call_count == 2
    assert waits == [3.0]  # the server's wait, not the backoff


@respx.mock
async def test_a_rate_limit_longer_than_max_wait_is_returned_at_once(waits: list[float]) -> None:
    route = respx.get(URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "120"}))
    async with httpx.AsyncClient() as client:
        response = await request_with_retry(client, "GET", URL, attempts=3, max_wait=10)
    assert response.status_code == 429 and route.call_count == 1 and waits == []
    assert retry_after_seconds(response.headers, 0) == 120


@respx.mock
async def test_server_errors_are_retried_with_backoff_and_the_last_answer_returned(waits: list[float]) -> None:
    told: list[tuple[int, str]] = []
    route = respx.post(URL).mock(return_value=httpx.Response(503))
    async with httpx.AsyncClient() as client:
        response = await request_with_retry(client, "POST", URL, attempts=3, backoff=0.5,
                                            on_retry=lambda attempt, reason: told.append((attempt, reason)))
    assert response.status_code == 503 and route.call_count == 3
    assert waits == [0.5, 1.0] and told == [(1, "HTTP 503"), (2, "HTTP 503")]


@respx.mock
async def test_a_client_error_is_never_retried(waits: list[float]) -> None:
    route = respx.get(URL).mock(return_value=httpx.Response(401))
    async with httpx.AsyncClient() as client:
        assert (await request_with_retry(client, "GET", URL, attempts=3)).status_code == 401
    assert route.call_count == 1 and waits == []


@respx.mock
async def test_no_answer_at_all_raises_with_the_last_transport_error(waits: list[float]) -> None:
    respx.get(URL).mock(side_effect=httpx.ConnectError("refused"))
    async with httpx.AsyncClient() as client:
        with pytest.raises(HttpUnreachable) as err:
            await request_with_retry(client, "GET", URL, attempts=2, backoff=0.2)
    assert err.value.attempts == 2 and isinstance(err.value.last, httpx.ConnectError) and waits == [0.2]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds({"retry-after": "7"}, 0) == 7
    assert retry_after_seconds({"retry-after": "Thu, 01 Jan 1970 00:01:40 GMT"}, 40.0) == 60
    assert retry_after_seconds({}, 0) is None and retry_after_seconds({"retry-after": "soon"}, 0) is None
