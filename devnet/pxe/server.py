"""The development PXE's JSON-RPC over HTTP (SPEC section 6): POST / and GET /status.

Turns JSON params into typed values for state.py, answers errors as HTTP 400 with a JSON-RPC
error object, injects network latency per request and mines pending txs in a block loop.
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

from devnet.pxe.demo import seed_demo
from devnet.pxe.prices import BATCH_PRICES, PriceUnavailable, ProtocolPrices, protocol_prices
from devnet.pxe.protocol import current_epoch_end
from devnet.pxe.rpc_errors import ExecutionError, InvalidInput, MethodNotFound, RpcError
from devnet.pxe.state import DevPxeState
from devnet.pxe.transactions import ContractCall, Tx
from shared.logging import get_logger
from shared.pxe.fields import from_field, normalize_address, to_field

log = get_logger()

MAX_BULK_ESCROWS = 100_000

Handler = Callable[[list[Any]], Awaitable[Any]]


class DevPxe:
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
            "pxe_createAuthWit": self.create_authwit,
            "pxe_sendTx": self.send_tx,
            "dev_createToken": self.dev_create_token,
            "dev_createPool": self.dev_create_pool,
            "dev_createEscrow": self.dev_create_escrow,
            "dev_createEscrows": self.dev_create_escrows,
            "dev_setPosition": self.dev_set_position,
            "dev_getPosition": self.dev_get_position,
            "dev_listEscrows": self.dev_list_escrows,
            "dev_mint": self.dev_mint,
            "dev_setPrices": self.dev_set_prices,
            "dev_setLatency": self.dev_set_latency,
            "dev_seedDemo": self.dev_seed_demo,
            "dev_mineBlock": self.dev_mine_block,
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
        (tx_hash,) = _arity(params, 1)
        return self.state.receipt(_field_str(tx_hash, "txHash"))

    async def register_account(self, params: list[Any]) -> dict[str, str]:
        (secret_key,) = _arity(params, 1)
        return {"address": self.state.register_account(_field_str(secret_key, "secretKey"))}

    async def register_contract(self, params: list[Any]) -> None:
        (registration,) = _arity(params, 1)
        if not isinstance(registration, dict) or not isinstance(registration.get("instance"), dict):
            raise InvalidInput('Expected {"instance": {"address", ...}, "secretKey"?}')
        instance = dict(registration["instance"])
        instance["address"] = _address(instance.get("address"), "instance.address")
        secret_key = registration.get("secretKey")
        self.state.register_contract(instance, None if secret_key is None else _field_str(secret_key, "secretKey"))
        return None

    async def simulate_utility(self, params: list[Any]) -> dict[str, list[str]]:
        function, args, to, *rest = _arity(params, 3, 5)
        if not isinstance(function, str) or not function:
            raise InvalidInput("functionName must be a string")
        result = self.state.simulate_utility(function, _field_list(args, "args"), _address(to, "to"))
        return {"result": [to_field(v) for v in result]}

    async def create_authwit(self, params: list[Any]) -> dict[str, Any]:
        on_behalf_of, intent = _arity(params, 2)
        if not isinstance(intent, dict):
            raise InvalidInput('Expected {"caller", "call": {"name", "to", "args"}}')
        return self.state.create_authwit(
            _address(on_behalf_of, "from"), _address(intent.get("caller"), "caller"), _call(intent.get("call"))
        )

    async def send_tx(self, params: list[Any]) -> str:
        tx_request, options = _arity(params, 2)
        if not isinstance(tx_request, dict) or not isinstance(options, dict):
            raise InvalidInput('Expected [{"calls", "authWitnesses"}, {"from"}]')
        calls = tx_request.get("calls")
        if not isinstance(calls, list) or not calls:
            raise InvalidInput("calls must be a non-empty array")
        authwits = tx_request.get("authWitnesses", [])
        if not isinstance(authwits, list):
            raise InvalidInput("authWitnesses must be an array")
        tx = self.state.new_tx(
            _address(options.get("from"), "from"),
            tuple(_call(c) for c in calls),
            self.state.authwit_intents([_authwit(a) for a in authwits]),
        )
        await self._simulate(tx)
        return self.state.submit(tx)

    async def _simulate(self, tx: Tx) -> None:
        try:
            prices = await self.prices.get_prices(self.state.price_symbols(tx))
        except PriceUnavailable as exc:
            raise ExecutionError(str(exc)) from None
        self.state.simulate_tx(tx, prices, self.now())

    # --- dev_ admin methods -------------------------------------------------------------------

    async def dev_create_token(self, params: list[Any]) -> str:
        (symbol,) = _arity(params, 1)
        if not isinstance(symbol, str):
            raise InvalidInput("symbol must be a string")
        try:
            return self.state.create_token(symbol)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None

    async def dev_create_pool(self, params: list[Any]) -> str:
        collateral, debt, max_ltv, threshold = _arity(params, 4)
        return self.state.create_pool(
            _address(collateral, "collateralToken"), _address(debt, "debtToken"),
            _amount(max_ltv, "maxLtvBps"), _amount(threshold, "liquidationThresholdBps"),
        )

    async def dev_create_escrow(self, params: list[Any]) -> dict[str, Any]:
        pool, collateral, principal, *rest = _arity(params, 3, 4)
        options = _options(rest)
        return self.state.create_escrow(
            _address(pool, "pool"), _amount(collateral, "collateralAmount"), _amount(principal, "loanPrincipal"),
            self._loan_epoch(options.get("loanEpoch")), bool(options.get("registered", False)),
        )

    async def dev_create_escrows(self, params: list[Any]) -> list[dict[str, Any]]:
        pool, count, collateral, principal, *rest = _arity(params, 4, 5)
        options = _options(rest)
        count = _amount(count, "count")
        if count > MAX_BULK_ESCROWS:
            raise InvalidInput(f"count must be at most {MAX_BULK_ESCROWS}")
        args = (
            _address(pool, "pool"), _amount(collateral, "collateralAmount"), _amount(principal, "loanPrincipal"),
            self._loan_epoch(options.get("loanEpoch")), bool(options.get("registered", False)),
        )
        return [{"address": e["address"], "secretKey": e["secretKey"]} for e in (self.state.create_escrow(*args) for _ in range(count))]

    async def dev_set_position(self, params: list[Any]) -> None:
        escrow, collateral, principal, *rest = _arity(params, 3, 4)
        self.state.set_position(
            _address(escrow, "escrow"), _amount(collateral, "collateralAmount"), _amount(principal, "loanPrincipal"),
            self._loan_epoch(rest[0] if rest else None),
        )
        return None

    async def dev_get_position(self, params: list[Any]) -> dict[str, Any]:
        (escrow,) = _arity(params, 1)
        return self.state.position(_address(escrow, "escrow"))

    async def dev_list_escrows(self, params: list[Any]) -> list[dict[str, Any]]:
        """Escrow addresses and assets, never their keys (for a --demo PXE seeded at start)."""
        _arity(params, 0)
        out = []
        for escrow in self.state.escrows.values():
            pool = self.state.pools[escrow.pool]
            out.append({
                "address": escrow.address, "pool": escrow.pool,
                "collateralAsset": self.state.tokens[pool.collateral_token].symbol,
                "debtAsset": self.state.tokens[pool.debt_token].symbol,
                "registered": escrow.address in self.state.readable,
            })
        return out

    async def dev_mint(self, params: list[Any]) -> None:
        token, owner, amount = _arity(params, 3)
        self.state.mint(_address(token, "token"), _address(owner, "owner"), _amount(amount, "amount"))
        return None

    async def dev_set_prices(self, params: list[Any]) -> None:
        (table,) = _arity(params, 1)
        static = self.prices.static
        if static is None:
            raise InvalidInput("Prices come from the PriceOracle on RPC_URL; dev_setPrices only works without it")
        if not isinstance(table, dict) or not table:
            raise InvalidInput('Expected {"SYMBOL": "price with 8 decimals", ...}')
        static.set({str(symbol): _amount(price, f"price of {symbol}") for symbol, price in table.items()})
        return None

    async def dev_set_latency(self, params: list[Any]) -> None:
        (ms,) = _arity(params, 1)
        self.latency_ms = _amount(ms, "latencyMs")
        return None

    async def dev_seed_demo(self, params: list[Any]) -> dict[str, Any]:
        options = _options(_arity(params, 0, 1))
        escrows = _amount(options.get("escrows", 8), "escrows")
        if escrows > MAX_BULK_ESCROWS:
            raise InvalidInput(f"escrows must be at most {MAX_BULK_ESCROWS}")
        return await seed_demo(self.state, self.prices, escrows, bool(options.get("registered", False)))

    async def dev_mine_block(self, params: list[Any]) -> int:
        """Mines the pending txs now (for tests run with block_time=0, where no block comes by itself)."""
        _arity(params, 0)
        return await self.produce_block()

    def _loan_epoch(self, value: Any) -> int:
        return current_epoch_end(self.now()) if value is None else _amount(value, "loanEpoch")


# --- parameter parsing ---------------------------------------------------------------------

def _arity(params: list[Any], least: int, most: int | None = None) -> list[Any]:
    most = least if most is None else most
    if not least <= len(params) <= most:
        expected = str(least) if least == most else f"{least} to {most}"
        raise InvalidInput(f"Expected {expected} params, got {len(params)}")
    return params


def _address(value: Any, name: str) -> str:
    try:
        return normalize_address(value)
    except ValueError:
        raise InvalidInput(f"{name} must be 0x followed by 1 to 64 hex digits") from None


def _field_int(value: Any, name: str) -> int:
    try:
        return from_field(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a field element (0x hex below 2**254)") from None


def _field_str(value: Any, name: str) -> str:
    return to_field(_field_int(value, name))


def _field_list(values: Any, name: str) -> list[int]:
    if not isinstance(values, list):
        raise InvalidInput(f"{name} must be an array of field elements")
    return [_field_int(v, f"{name}[{i}]") for i, v in enumerate(values)]


def _amount(value: Any, name: str) -> int:
    """A non-negative integer from an int or a decimal string; never a float."""
    if isinstance(value, bool):
        raise InvalidInput(f"{name} must be a non-negative integer")
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value() and value >= 0:
        return int(value)
    raise InvalidInput(f"{name} must be a non-negative integer (a decimal string or a JSON integer)")


def _options(rest: list[Any]) -> dict[str, Any]:
    if not rest or rest[0] is None:
        return {}
    if not isinstance(rest[0], dict):
        raise InvalidInput("options must be an object")
    return rest[0]


def _call(value: Any) -> ContractCall:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise InvalidInput('Expected a call {"name", "to", "args"}')
    return ContractCall(value["name"], _address(value.get("to"), "call.to"), tuple(_field_list(value.get("args"), "call.args")))


def _authwit(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or "requestHash" not in value or not isinstance(value.get("witness"), list):
        raise InvalidInput('Expected authwits as returned by pxe_createAuthWit {"requestHash", "witness"}')
    return {
        "requestHash": _field_str(value["requestHash"], "requestHash"),
        "witness": [_field_str(w, "witness") for w in value["witness"]],
    }
