"""A JSON-RPC proxy in front of a real server (a local chain, the development PXE), for what the project
cannot run here: a node that lies (a block number nobody else reports, another chain id), a gateway in
front of Aztec's own Token (`public_get_symbol()` instead of `symbol()`), or several gateways to tell which
one was asked what. Each call is counted by method; `lies` answers a method with a fixed result; `hook`
may rewrite a request in place or answer it itself. Everything else is the real server's answer.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.fixtures.servers import serving

Hook = Callable[[dict[str, Any]], dict[str, Any] | None]


def rpc_error(request: dict[str, Any], code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request.get("id"), "error": {"code": code, "message": message}}


class JsonRpcProxy:
    def __init__(self, upstream: str, lies: dict[str, Any] | None = None, hook: Hook | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.lies = dict(lies or {})
        self.hook = hook
        self.calls: Counter[str] = Counter()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        async with httpx.AsyncClient(timeout=60) as client:
            if scope["method"] == "GET":
                real = await client.get(self.upstream + scope["path"])
                await _answer(send, real.status_code, real.content)
                return
            asked = json.loads(body)
            items = asked if isinstance(asked, list) else [asked]
            answers = [self._local(item) for item in items]
            forward = [item for item, answer in zip(items, answers, strict=True) if answer is None]
            if forward:
                payload = forward if isinstance(asked, list) else forward[0]
                real_body = (await client.post(self.upstream + "/", json=payload)).json()
                real = iter(real_body if isinstance(real_body, list) else [real_body])
                answers = [answer if answer is not None else next(real) for answer in answers]
        if isinstance(asked, list):
            await _answer(send, 200, json.dumps(answers).encode())
        else:
            await _answer(send, 400 if "error" in answers[0] else 200, json.dumps(answers[0]).encode())

    def _local(self, request: dict[str, Any]) -> dict[str, Any] | None:
        method = str(request.get("method", ""))
        self.calls[method] += 1
        if method in self.lies:
            return {"jsonrpc": "2.0", "id": request.get("id"), "result": self.lies[method]}
        return self.hook(request) if self.hook is not None else None


async def _answer(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def proxy(upstream: str, hook: Hook | None = None, **lies: Any) -> AsyncIterator[tuple[str, JsonRpcProxy]]:
    node = JsonRpcProxy(upstream, lies, hook)
    async with serving(node, lifespan="off") as url:
        yield url, node
