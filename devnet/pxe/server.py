"""The development PXE's JSON-RPC over HTTP (docs/pxe-jsonrpc.md): POST / and GET /status.

Dispatches each call to its handler (node_ and pxe_ reads in pxe_methods.py, transactions in
tx_methods.py, dev_* admin ones in admin_methods.py and the protocol's own), answers errors as HTTP 400
with a JSON-RPC error object, injects network latency per request and mines pending txs in a block
loop. A protocol's server (reference/server.py, nocom_v1/server.py) says how a block is mined and a
tx simulated.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from devnet.pxe.admin_methods import AdminMethods, Handler
from devnet.pxe.costs import CostModel
from devnet.pxe.jobs import JobQueue, Sleep
from devnet.pxe.protocol_state import ProtocolState
from devnet.pxe.pxe_methods import PxeMethods
from devnet.pxe.rpc_errors import InvalidInput, MethodNotFound, RpcError
from devnet.pxe.tx_methods import DEFAULT_MAX_CALLS, TxMethods
from shared.logging import get_logger

log = get_logger()


class DevPxe(PxeMethods, TxMethods, AdminMethods):
    """The JSON-RPC methods over one in-memory state, the job queue, and the block producer."""

    def __init__(
        self,
        state: ProtocolState,
        *,
        block_time: float = 0.2,
        latency_ms: float = 0,
        clock: Callable[[], float] = time.time,
        costs: CostModel | None = None,
        max_calls: int = DEFAULT_MAX_CALLS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.state = state
        self.block_time = block_time
        self.latency_ms = latency_ms
        self.clock = clock
        self.jobs = JobQueue(costs or CostModel(), sleep=sleep)
        self.max_calls = max_calls
        self.calls: Counter[str] = Counter()  # requests per method, for tests and benchmarks
        self._blocks: asyncio.Task[None] | None = None
        self.methods: dict[str, Handler] = {**self.pxe_methods(), **self.tx_methods(), **self.admin_methods()}

    def now(self) -> int:
        return int(self.clock())

    async def produce_block(self) -> int:
        raise NotImplementedError  # the protocol's server mines

    async def close(self) -> None:
        """Releases what the protocol's server holds (a price reader)."""

    # --- HTTP ------------------------------------------------------------------------------

    def app(self) -> Starlette:
        @asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            self.start_blocks()
            try:
                yield
            finally:
                await self.stop_blocks()
                await self.close()

        return Starlette(
            routes=[Route("/", self.http_rpc, methods=["POST"]), Route("/status", self.http_status, methods=["GET"])],
            lifespan=lifespan,
        )

    async def http_status(self, _request: Request) -> Response:
        return PlainTextResponse("OK")

    async def http_rpc(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body(), parse_float=Decimal)
        except ValueError:
            return self._error_response(None, InvalidInput("Request body is not valid JSON"))
        for item in body if isinstance(body, list) else [body]:
            if isinstance(item, dict) and isinstance(item.get("method"), str):
                self.calls[item["method"]] += 1
        if self.latency_ms > 0:  # once per HTTP request, as a network round trip costs
            await asyncio.sleep(self.latency_ms / 1000)
        if isinstance(body, list):  # a JSON-RPC 2.0 batch: every call answered, in order, with 200
            if not body:
                return self._error_response(None, InvalidInput("Empty batch"))
            return await self.answer_batch(body)
        answer = await self._answer(body)
        if "error" in answer:
            return JSONResponse(answer, status_code=500 if answer["error"]["code"] == -32603 else 400)
        return JSONResponse(answer)

    async def answer_batch(self, body: list[Any]) -> Response:
        return JSONResponse([await self._answer(item) for item in body])

    async def _answer(self, body: Any) -> dict[str, Any]:
        request_id = body.get("id") if isinstance(body, dict) else None
        try:
            if not isinstance(body, dict) or not isinstance(body.get("method"), str):
                raise InvalidInput("Expected a JSON-RPC request object with a method")
            result = await self.dispatch(body["method"], body.get("params", []))
        except RpcError as exc:
            return {"jsonrpc": "2.0", "id": request_id, "error": {"code": exc.code, "message": exc.message}}
        except Exception as exc:
            log.error("Dev PXE internal error", error=repr(exc))
            return {"jsonrpc": "2.0", "id": request_id, "error": {"code": -32603, "message": "Internal error"}}
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    @staticmethod
    def _error_response(request_id: Any, exc: RpcError) -> Response:
        error = {"code": exc.code, "message": exc.message}
        return JSONResponse({"jsonrpc": "2.0", "id": request_id, "error": error}, status_code=400)

    async def dispatch(self, method: str, params: Any) -> Any:
        handler = self.methods.get(method)
        if handler is None:
            raise MethodNotFound(f"Method not found: {method}")
        if not isinstance(params, list):
            raise InvalidInput("params must be an array")
        return await handler(params)

    # --- blocks ------------------------------------------------------------------------------

    def start_blocks(self) -> None:
        if self._blocks is None and self.block_time > 0:
            self._blocks = asyncio.create_task(self._block_loop(), name="dev-pxe-blocks")

    async def stop_blocks(self) -> None:
        if self._blocks is not None:
            self._blocks.cancel()
            try:
                await self._blocks
            except asyncio.CancelledError:
                pass
            self._blocks = None

    async def _block_loop(self) -> None:
        while True:
            await asyncio.sleep(self.block_time)
            try:
                await self.produce_block()
            except Exception as exc:  # one bad block must not stop the chain
                log.error("Dev PXE block failed", error=repr(exc))
