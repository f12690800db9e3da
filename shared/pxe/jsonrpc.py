"""JSON-RPC 2.0 over HTTP to a PXE: sharded connection pools, single calls, batches and error mapping.

A call is retried with backoff when the PXE is unreachable (and only when the caller allows it);
a batch never is, because it may carry sends. A JSON-RPC error object becomes the PxeError
subclass its code stands for.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import ssl
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any, Self

import certifi
import httpx

from shared.pxe.errors import PxeError, PxeInvalidInput, PxeMethodNotFound, PxeReverted, PxeUnreachable
from shared.pxe.fields import from_field
from shared.retry import RetriesExhausted
from shared.retry import retry as retry_call

METHOD_NOT_FOUND = -32601
INVALID_INPUT = -32701
EXECUTION_ERROR = -32702

# httpcore's pool scans every connection for each idle one on each request (quadratic in the pool
# size); at 64 connections that costs milliseconds of CPU per call. Small pools side-step it.
CONNECTIONS_PER_SHARD = 8


class JsonRpc:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        read_attempts: int = 3,
        backoff: float = 0.2,
        client: httpx.AsyncClient | None = None,
        max_connections: int = 64,
    ) -> None:
        self.url = url.rstrip("/")
        self.read_attempts = max(1, read_attempts)
        self.backoff = backoff
        self._owns_clients = client is None
        if client is not None:
            self._clients = [client]
        else:
            shards = max(1, -(-max_connections // CONNECTIONS_PER_SHARD))
            per_shard = -(-max_connections // shards)
            tls = ssl.create_default_context(cafile=certifi.where())  # loaded once, shared by the shards
            self._clients = [
                httpx.AsyncClient(
                    timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
                    limits=httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard),
                    verify=tls,
                )
                for _ in range(shards)
            ]
        self._next_client = itertools.cycle(self._clients)
        self._ids = itertools.count(1)
        self._batches_supported: bool | None = None  # learnt from the first batch

    @property
    def _http(self) -> httpx.AsyncClient:
        return next(self._next_client)

    async def close(self) -> None:
        if self._owns_clients:
            for http in self._clients:
                await http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def call(self, method: str, params: list[Any], *, retry: bool = True, timeout: float | None = None) -> Any:
        """A raw JSON-RPC call; retried on PxeUnreachable only, and only when `retry`. `timeout` overrides
        the client's for this call (a send through a real PXE waits for client-side proving)."""
        try:
            return await retry_call(lambda: self._call_once(method, params, timeout), attempts=self.read_attempts if retry else 1,
                                    backoff=self.backoff, retry_on=(PxeUnreachable,))
        except RetriesExhausted as exc:
            raise exc.last from None  # type: ignore[misc]

    async def _call_once(self, method: str, params: list[Any], timeout: float | None = None) -> Any:
        request_id = next(self._ids)
        payload = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        try:
            response = await self._http.post(f"{self.url}/", json=payload, **extra)
        except httpx.TimeoutException:
            raise PxeUnreachable(f"PXE timed out on {method}") from None
        except httpx.HTTPError as exc:
            raise PxeUnreachable(f"PXE unreachable on {method}: {type(exc).__name__}") from None
        if response.status_code >= 500:
            raise PxeUnreachable(f"PXE answered HTTP {response.status_code} on {method}")
        try:
            body = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise PxeUnreachable(f"PXE answered {method} with a body that is not JSON") from None
        if not isinstance(body, dict) or ("result" not in body and "error" not in body):
            raise PxeUnreachable(f"PXE answered {method} with a body that is not JSON-RPC")
        if body.get("error") is not None:
            raise rpc_error(body["error"], method)
        return body["result"]

    async def call_many(self, requests: list[tuple[str, list[Any]]], *, timeout: float | None = None) -> list[Any]:
        """Several calls in one JSON-RPC 2.0 batch: per call its result, or the PxeError it raised.

        Never retried: a batch may carry sends. A PXE that refuses batches (it answers the array
        with a single error, so none of it ran) gets the calls one by one, concurrently, from then on.
        A transport failure raises PxeUnreachable: the caller cannot know what ran.
        """
        if not requests:
            return []
        if self._batches_supported is not False:
            answers = await self._batch_once(requests, timeout)
            self._batches_supported = answers is not None
            if answers is not None:
                return answers
        return list(await asyncio.gather(*(_settled(self._call_once(m, p, timeout)) for m, p in requests)))

    async def _batch_once(self, requests: list[tuple[str, list[Any]]], timeout: float | None = None) -> list[Any] | None:
        ids = [next(self._ids) for _ in requests]
        payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in zip(ids, requests, strict=True)]
        methods = ",".join(sorted({m for m, _ in requests}))
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        try:
            response = await self._http.post(f"{self.url}/", json=payload, **extra)
            body = json.loads(response.content, parse_float=Decimal)
        except httpx.TimeoutException:
            raise PxeUnreachable(f"PXE timed out on a batch of {methods}") from None
        except httpx.HTTPError as exc:
            raise PxeUnreachable(f"PXE unreachable on a batch of {methods}: {type(exc).__name__}") from None
        except ValueError:
            raise PxeUnreachable(f"PXE answered a batch of {methods} with a body that is not JSON") from None
        if isinstance(body, dict) and body.get("error") is not None and response.status_code < 500:
            return None  # batches refused as a whole: nothing ran
        if not isinstance(body, list):
            raise PxeUnreachable(f"PXE answered a batch of {methods} with HTTP {response.status_code}")
        by_id = {item.get("id"): item for item in body if isinstance(item, dict)}
        answers: list[Any] = []
        for request_id, (method, _params) in zip(ids, requests, strict=True):
            item = by_id.get(request_id)
            if item is None:
                answers.append(PxeError(f"PXE left {method} out of its batch answer"))
            elif item.get("error") is not None:
                answers.append(rpc_error(item["error"], method))
            else:
                answers.append(item.get("result"))
        return answers


def rpc_error(error: Any, method: str) -> PxeError:
    """The PxeError subclass a JSON-RPC error object stands for."""
    if not isinstance(error, dict):
        return PxeError(f"PXE answered {method} with an error: {error!r}"[:300])
    code = error.get("code")
    message = str(error.get("message") or f"error {code}")
    if code == EXECUTION_ERROR:
        return PxeReverted(message)
    if code == INVALID_INPUT:
        return PxeInvalidInput(message, code)
    if code == METHOD_NOT_FOUND:
        return PxeMethodNotFound(message, code)
    return PxeError(message, code if isinstance(code, int) else None)


def as_int(value: Any) -> int:
    """An integer result, whether the PXE answered a JSON number, a decimal string or a 0x field."""
    if isinstance(value, bool):
        raise PxeError("expected an integer, got a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return from_field(value) if value.startswith("0x") else int(value)
    raise PxeError(f"expected an integer, got {type(value).__name__}")


async def _settled(call: Awaitable[Any]) -> Any:
    try:
        return await call
    except PxeError as exc:
        return exc
