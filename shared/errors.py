"""JSON errors `{"error": ...}` with the right status, never a stack trace; a body-size limit."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logging import get_logger

log = get_logger()


class InputRejected(StarletteHTTPException):
    """A 422 for a rule only the service can check (the PXE refused the escrow, say), answered in the
    documented shape of every 422: the message and the field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(status_code=422, detail=f"{field}: {message}")
        self.field = field
        self.reason = message


class ErrorOut(BaseModel):
    error: str


class FieldError(BaseModel):
    field: str
    message: str


class ValidationErrorOut(BaseModel):
    error: str
    details: list[FieldError]


_DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "X-API-Key is missing or wrong",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "The body is larger than MAX_BODY_BYTES",
    422: "The input breaks a rule; the message names the field",
    503: "A dependency (PXE, chain, database) is unavailable",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route can answer, all `{"error": ...}`."""
    return {code: {"model": ValidationErrorOut if code == 422 else ErrorOut, "description": _DESCRIPTIONS[code]}
            for code in codes}


def error_response(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def _message(err: dict[str, Any]) -> str:
    return str(err.get("msg", "invalid")).removeprefix("Value error, ")


def _describe(err: dict[str, Any]) -> str:
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
    where = ".".join(loc)
    return f"{where}: {_message(err)}" if where else _message(err)


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "Invalid JSON body")
    # Input values are left out on purpose: a body may carry a secret key.
    details = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")),
                "message": _message(e)} for e in errors[:10]]
    return error_response(422, _describe(errors[0]) if errors else "Invalid request", details=details)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    message = exc.detail if isinstance(exc.detail, str) else "Request failed"
    if exc.status_code == 422:  # documented as ValidationErrorOut, whoever raised it
        field, reason = (exc.field, exc.reason) if isinstance(exc, InputRejected) else ("", message)
        return error_response(422, message, headers=dict(exc.headers or {}) or None, details=[{"field": field, "message": reason}])
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return error_response(exc.status_code, message, headers=headers or None)


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str:
    """Every method the path answers (RFC 9110 wants them all in a 405's Allow), not only those of the one
    route that was tried: GET /assets and POST /assets are two routes. Each method is asked of the routes."""
    routes = request.app.router.routes
    allowed = [method for method in _METHODS
               if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)]
    return ", ".join(allowed)


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.error("Unhandled error", method=request.method, path=request.url.path, error=repr(exc))
    return error_response(500, "Internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unhandled)


class BodySizeLimit:
    """Rejects request bodies over `max_bytes` with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _send_413(send, self.max_bytes)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await _send_413(send, self.max_bytes)


class _BodyTooLarge(StarletteHTTPException):
    # An HTTPException so FastAPI's body reader re-raises it instead of turning it into a 400.
    def __init__(self) -> None:
        super().__init__(status_code=413, detail="Request body too large")


async def _send_413(send: Send, max_bytes: int) -> None:
    body = json.dumps({"error": f"Request body too large (limit {max_bytes} bytes)"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
