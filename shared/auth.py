"""API-key authentication: constant-time comparison, several keys for rotation."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request

from shared.logging import get_logger

log = get_logger()


def key_matches(candidate: str, keys: list[str]) -> bool:
    # Compare against every key without stopping early, so timing reveals nothing.
    supplied = candidate.encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(supplied, key.encode())
    return matched


async def require_api_key(request: Request) -> None:
    """FastAPI dependency: 401 and an `Unauthorized` warning unless X-API-Key is valid."""
    keys: list[str] = request.app.state.settings.api_keys
    supplied = request.headers.get("x-api-key", "")
    if supplied and key_matches(supplied, keys):
        return
    client = request.client.host if request.client else None
    log.warning("Unauthorized", method=request.method, path=request.url.path, client=client)
    raise HTTPException(status_code=401, detail="Unauthorized")
