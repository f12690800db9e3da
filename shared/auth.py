"""API-key authentication: constant-time comparison, several keys for rotation, checked before the
request body is read (a client without the key learns nothing, not even that its JSON is bad)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader

from shared.logging import get_logger

log = get_logger()

# Documents the scheme in the OpenAPI; the check itself runs in AuthenticatedRoute, before the body.
API_KEY_SCHEME = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="One of the keys in LIQUIDATION_API_KEY (comma-separated for rotation)")


def key_matches(candidate: str, keys: list[str]) -> bool:
    # Compare against every key without stopping early, so timing reveals nothing.
    supplied = candidate.encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(supplied, key.encode())
    return matched


def require_api_key(request: Request) -> None:
    """401 and an `Unauthorized` warning unless X-API-Key is one of the service's keys."""
    keys: list[str] = request.app.state.settings.api_keys
    supplied = request.headers.get("x-api-key", "")
    if supplied and key_matches(supplied, keys):
        return
    client = request.client.host if request.client else None
    log.warning("Unauthorized", method=request.method, path=request.url.path, client=client)
    raise HTTPException(status_code=401, detail="Unauthorized")


class AuthenticatedRoute(APIRoute):
    """A route whose key is checked before FastAPI reads and parses the body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def authenticated(request: Request) -> Response:
            require_api_key(request)
            return await handler(request)

        return authenticated


def protected_router() -> APIRouter:
    """A router whose every route needs the API key (and says so in the OpenAPI)."""
    return APIRouter(route_class=AuthenticatedRoute, dependencies=[Security(API_KEY_SCHEME)])
