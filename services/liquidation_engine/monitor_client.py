"""The note monitor's HTTP API as the engine uses it: GET /positions and POST /sync, with the API key."""

from __future__ import annotations

from typing import Any

import httpx

from shared.http import make_client, request_with_retry


class MonitorUnavailable(Exception):
    pass


class MonitorClient:
    """GET /positions and POST /sync of the note monitor, with the API key."""

    def __init__(self, base_url: str, api_key: str, client: httpx.AsyncClient | None = None, attempts: int = 3) -> None:
        self.base_url = base_url.rstrip("/")
        self.attempts = attempts
        self._headers = {"X-API-Key": api_key}
        self._owns = client is None
        self._http = client or make_client(timeout=15.0)

    async def positions(self, *, limit: int, offset: int, since_version: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if since_version is not None:
            params["sinceVersion"] = since_version
        try:
            response = await request_with_retry(
                self._http, "GET", f"{self.base_url}/positions", params=params, headers=self._headers,
                attempts=self.attempts,
            )
        except Exception as exc:
            raise MonitorUnavailable(f"note monitor unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise MonitorUnavailable(f"note monitor answered HTTP {response.status_code} on /positions")
        try:
            body = response.json()
        except ValueError:
            raise MonitorUnavailable("note monitor answered /positions with a body that is not JSON") from None
        return body  # type: ignore[no-any-return]

    async def request_sync(self) -> bool:
        try:
            response = await self._http.post(f"{self.base_url}/sync", headers=self._headers)
        except httpx.HTTPError:
            return False
        return response.status_code < 300

    async def reachable(self) -> bool:
        try:
            response = await self._http.get(f"{self.base_url}/health", timeout=3.0)
        except httpx.HTTPError:
            return False
        return response.status_code in (200, 503)

    async def close(self) -> None:
        if self._owns:
            await self._http.aclose()
