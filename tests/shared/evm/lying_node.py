"""A node that lies: a JSON-RPC proxy in front of a real chain, answering some methods with what the test
says (a block number nobody else reports, another chain id). Everything else is the real node's answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.fixtures.servers import serving


class LyingNode:
    def __init__(self, upstream: str, lies: dict[str, Any]) -> None:
        self.upstream = upstream
        self.lies = lies  # method -> the result answered instead of the real one
        self.calls: dict[str, int] = {}  # method -> requests seen (batch items counted one by one)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        async with httpx.AsyncClient(timeout=10) as client:
            real = (await client.post(self.upstream, content=body, headers={"Content-Type": "application/json"})).json()
        asked = json.loads(body)
        answer = [self._lie(q, a) for q, a in zip(asked, real, strict=True)] if isinstance(asked, list) else self._lie(asked, real)
        out = json.dumps(answer).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(out)).encode())]})
        await send({"type": "http.response.body", "body": out})

    def _lie(self, request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        method = request.get("method", "")
        self.calls[method] = self.calls.get(method, 0) + 1
        if method in self.lies:
            return {"jsonrpc": "2.0", "id": request.get("id"), "result": self.lies[method]}
        return answer


@asynccontextmanager
async def lying_node(upstream: str, **lies: Any) -> AsyncIterator[tuple[str, LyingNode]]:
    node = LyingNode(upstream, lies)
    async with serving(node, lifespan="off") as url:
        yield url, node
