"""The development PXE's JSON-RPC over HTTP (SPEC section 6): POST / and GET /status.

Dispatches each call to its handler (the node_ and pxe_ ones here, the dev_* admin ones in
admin_methods.py; params.py turns JSON params into typed values for state.py), answers errors as
HTTP 400 with a JSON-RPC error object, injects network latency per request and mines pending txs
in a block loop.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from devnet.pxe import params as parse
from devnet.pxe.admin_methods import AdminMethods
from devnet.pxe.prices import BATCH_PRICES, PriceUnavailable, ProtocolPrices, protocol_prices
from devnet.pxe.rpc_errors import ExecutionError, InvalidInput, MethodNotFound, RpcError
from devnet.pxe.state import DevPxeState
from devnet.pxe.transactions import Tx
from shared.logging import get_logger
from shared.pxe.fields import to_field

log = get_logger()

Handler = Callable[[list[Any]], Awaitable[Any]]


class DevPxe(AdminMethods):
    """The JSON-RPC methods over one in-memory state, plus the block producer."""

    def __init__(
        self,
        state: DevPxeState | None = None,
        prices: ProtocolPrices | None = None,
        *,
        block_time: float = 0.2,
        latency_ms: float = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = state or DevPxeState()
        self.prices = prices or protocol_prices()
        self.block_time = block_time
        self.latency_ms = latency_ms
        self.clock = clock
        self.calls: Counter[str] = Counter()  # requests per method, for tests and benchmarks
        self._blocks: asyncio.Task[None] | None = None
        self._prices_down = False  # log an outage once, not every block
        self.methods: dict[str, Handler] = {
            "node_isReady": self.node_is_ready,
            "node_getBlockNumber": self.node_get_block_number,
            "node_getTxReceipt": self.node_get_tx_receipt,
            "pxe_registerAccount": self.register_account,
            "pxe_registerContract": self.register_contract,
            "pxe_simulateUtility": self.simulate_utility,
            "pxe_simulateView": self.simulate_view,
            "pxe_createAuthWit": self.create_authwit,
            "pxe_sendTx": self.send_tx,
            **self.admin_methods(),
        }

    def now(self) -> int:
        return int(self.clock())

    # --- HTTP ------------------------------------------------------------------------------

    def app(self) -> Starlette:
        @asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            self.start_blocks()
            try:
                yield
            finally:
                await self.stop_blocks()
                await self.prices.close()

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
            token = BATCH_PRICES.set({})
            try:
                return JSONResponse([await self._answer(item) for item in body])
            finally:
                BATCH_PRICES.reset(token)
        answer = await self._answer(body)
        if "error" in answer:
            return JSONResponse(answer, status_code=500 if answer["error"]["code"] == -32603 else 400)
        return JSONResponse(answer)

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

    async def produce_block(self) -> int:
        """Mines every tx pending now; when the prices cannot be read they wait for the next block."""
        batch = list(self.state.pending)
        symbols = set().union(*(self.state.price_symbols(tx) for tx in batch)) if batch else set()
        try:
            prices = await self.prices.get_prices(symbols) if symbols else {}
        except PriceUnavailable as exc:
            if not self._prices_down:
                log.warning("Dev PXE blocks delayed", reason=str(exc), pending=len(batch))
            self._prices_down = True
            return self.state.block_number
        if self._prices_down and symbols:
            log.info("Dev PXE blocks resumed", pending=len(batch))
            self._prices_down = False
        block = self.state.seal_block(batch, prices, self.now())
        for tx in batch:
            log.info("Dev PXE transaction mined", txHash=tx.hash, status=tx.status, error=tx.error, blockNumber=block)
        return block

    # --- node_ and pxe_ methods ------------------------------------------------------------

    async def node_is_ready(self, params: list[Any]) -> bool:
        return True

    async def node_get_block_number(self, params: list[Any]) -> int:
        return self.state.block_number

    async def node_get_tx_receipt(self, params: list[Any]) -> dict[str, Any]:
        (tx_hash,) = parse.arity(params, 1)
        return self.state.receipt(parse.field_str(tx_hash, "txHash"))

    async def register_account(self, params: list[Any]) -> dict[str, str]:
        (secret_key,) = parse.arity(params, 1)
        return {"address": self.state.register_account(parse.field_str(secret_key, "secretKey"))}

    async def register_contract(self, params: list[Any]) -> None:
        (registration,) = parse.arity(params, 1)
        if not isinstance(registration, dict) or not isinstance(registration.get("instance"), dict):
            raise InvalidInput('Expected {"instance": {"address", ...}, "secretKey"?}')
        instance = dict(registration["instance"])
        instance["address"] = parse.address(instance.get("address"), "instance.address")
        secret_key = registration.get("secretKey")
        self.state.register_contract(instance, None if secret_key is None else parse.field_str(secret_key, "secretKey"))
        return None

    async def simulate_utility(self, params: list[Any]) -> dict[str, list[str]]:
        function, args, to, *rest = parse.arity(params, 3, 5)
        if not isinstance(function, str) or not function:
            raise InvalidInput("functionName must be a string")
        result = self.state.simulate_utility(function, parse.field_list(args, "args"), parse.address(to, "to"))
        return {"result": [to_field(v) for v in result]}

    async def simulate_view(self, params: list[Any]) -> dict[str, list[str]]:
        """A public #[view] function at the latest block (SPEC section 10); the state says which exist."""
        function, args, to, *rest = parse.arity(params, 3, 4)
        if not isinstance(function, str) or not function:
            raise InvalidInput("functionName must be a string")
        if rest and rest[0] is not None:
            parse.address(rest[0], "from")
        result = self.state.simulate_view(function, parse.field_list(args, "args"), parse.address(to, "to"))
        return {"result": [to_field(v) for v in result]}

    async def create_authwit(self, params: list[Any]) -> dict[str, Any]:
        on_behalf_of, intent = parse.arity(params, 2)
        if not isinstance(intent, dict):
            raise InvalidInput('Expected {"caller", "call": {"name", "to", "args"}}')
        return self.state.create_authwit(
            parse.address(on_behalf_of, "from"), parse.address(intent.get("caller"), "caller"), parse.call(intent.get("call"))
        )

    async def send_tx(self, params: list[Any]) -> str:
        tx_request, options = parse.arity(params, 2)
        if not isinstance(tx_request, dict) or not isinstance(options, dict):
            raise InvalidInput('Expected [{"calls", "authWitnesses"}, {"from"}]')
        calls = tx_request.get("calls")
        if not isinstance(calls, list) or not calls:
            raise InvalidInput("calls must be a non-empty array")
        authwits = tx_request.get("authWitnesses", [])
        if not isinstance(authwits, list):
            raise InvalidInput("authWitnesses must be an array")
        tx = self.state.new_tx(
            parse.address(options.get("from"), "from"),
            tuple(parse.call(c) for c in calls),
            self.state.authwit_intents([parse.authwit(a) for a in authwits]),
        )
        await self._simulate(tx)
        return self.state.submit(tx)

    async def _simulate(self, tx: Tx) -> None:
        try:
            prices = await self.prices.get_prices(self.state.price_symbols(tx))
        except PriceUnavailable as exc:
            raise ExecutionError(str(exc)) from None
        self.state.simulate_tx(tx, prices, self.now())
