"""The development PXE's dev_* admin methods: building the protocol's world, prices, latency and blocks.

Not part of an Aztec PXE's API; tests, the demo and the benchmarks drive the dev PXE through them.
`AdminMethods` is mixed into DevPxe (server.py), which lists `admin_methods()` in its method table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devnet.pxe import params as parse
from devnet.pxe.demo import seed_demo
from devnet.pxe.prices import ProtocolPrices
from devnet.pxe.protocol import current_epoch_end
from devnet.pxe.rpc_errors import InvalidInput
from devnet.pxe.state import DevPxeState

if TYPE_CHECKING:
    from devnet.pxe.server import Handler

MAX_BULK_ESCROWS = 100_000


class AdminMethods:
    """The dev_* handlers over the fields DevPxe.__init__ creates."""

    state: DevPxeState
    prices: ProtocolPrices
    latency_ms: float

    if TYPE_CHECKING:  # provided by DevPxe
        def now(self) -> int: ...
        async def produce_block(self) -> int: ...

    def admin_methods(self) -> dict[str, Handler]:
        return {
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
            "dev_listTxs": self.dev_list_txs,
        }

    async def dev_create_token(self, params: list[Any]) -> str:
        (symbol,) = parse.arity(params, 1)
        if not isinstance(symbol, str):
            raise InvalidInput("symbol must be a string")
        try:
            return self.state.create_token(symbol)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None

    async def dev_create_pool(self, params: list[Any]) -> str:
        collateral, debt, max_ltv, threshold = parse.arity(params, 4)
        return self.state.create_pool(
            parse.address(collateral, "collateralToken"), parse.address(debt, "debtToken"),
            parse.amount(max_ltv, "maxLtvBps"), parse.amount(threshold, "liquidationThresholdBps"),
        )

    async def dev_create_escrow(self, params: list[Any]) -> dict[str, Any]:
        pool, collateral, principal, *rest = parse.arity(params, 3, 4)
        options = parse.options(rest)
        return self.state.create_escrow(
            parse.address(pool, "pool"), parse.amount(collateral, "collateralAmount"), parse.amount(principal, "loanPrincipal"),
            self._loan_epoch(options.get("loanEpoch")), bool(options.get("registered", False)),
        )

    async def dev_create_escrows(self, params: list[Any]) -> list[dict[str, Any]]:
        pool, count, collateral, principal, *rest = parse.arity(params, 4, 5)
        options = parse.options(rest)
        count = parse.amount(count, "count")
        if count > MAX_BULK_ESCROWS:
            raise InvalidInput(f"count must be at most {MAX_BULK_ESCROWS}")
        args = (
            parse.address(pool, "pool"), parse.amount(collateral, "collateralAmount"), parse.amount(principal, "loanPrincipal"),
            self._loan_epoch(options.get("loanEpoch")), bool(options.get("registered", False)),
        )
        created = (self.state.create_escrow(*args) for _ in range(count))
        return [{"address": e["address"], "secretKey": e["secretKey"]} for e in created]

    async def dev_set_position(self, params: list[Any]) -> None:
        escrow, collateral, principal, *rest = parse.arity(params, 3, 4)
        self.state.set_position(
            parse.address(escrow, "escrow"), parse.amount(collateral, "collateralAmount"),
            parse.amount(principal, "loanPrincipal"), self._loan_epoch(rest[0] if rest else None),
        )
        return None

    async def dev_get_position(self, params: list[Any]) -> dict[str, Any]:
        (escrow,) = parse.arity(params, 1)
        return self.state.position(parse.address(escrow, "escrow"))

    async def dev_list_escrows(self, params: list[Any]) -> list[dict[str, Any]]:
        """Escrow addresses and assets, never their keys (for a --demo PXE seeded at start)."""
        parse.arity(params, 0)
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
        token, owner, amount = parse.arity(params, 3)
        self.state.mint(parse.address(token, "token"), parse.address(owner, "owner"), parse.amount(amount, "amount"))
        return None

    async def dev_set_prices(self, params: list[Any]) -> None:
        (table,) = parse.arity(params, 1)
        static = self.prices.static
        if static is None:
            raise InvalidInput("Prices come from the PriceOracle on RPC_URL; dev_setPrices only works without it")
        if not isinstance(table, dict) or not table:
            raise InvalidInput('Expected {"SYMBOL": "price with 8 decimals", ...}')
        static.set({str(symbol): parse.amount(price, f"price of {symbol}") for symbol, price in table.items()})
        return None

    async def dev_set_latency(self, params: list[Any]) -> None:
        (ms,) = parse.arity(params, 1)
        self.latency_ms = parse.amount(ms, "latencyMs")
        return None

    async def dev_seed_demo(self, params: list[Any]) -> dict[str, Any]:
        options = parse.options(parse.arity(params, 0, 1))
        escrows = parse.amount(options.get("escrows", 8), "escrows")
        if escrows > MAX_BULK_ESCROWS:
            raise InvalidInput(f"escrows must be at most {MAX_BULK_ESCROWS}")
        return await seed_demo(self.state, self.prices, escrows, bool(options.get("registered", False)))

    async def dev_mine_block(self, params: list[Any]) -> int:
        """Mines the pending txs now (for tests run with block_time=0, where no block comes by itself)."""
        parse.arity(params, 0)
        return await self.produce_block()

    async def dev_list_txs(self, params: list[Any]) -> list[dict[str, Any]]:
        """This PXE's own record of every tx it accepted, with its status: the ground truth the chaos
        tests hold the engine's GET /liquidations against, one to one by hash."""
        parse.arity(params, 0)
        return self.state.tx_book()

    def _loan_epoch(self, value: Any) -> int:
        return current_epoch_end(self.now()) if value is None else parse.amount(value, "loanEpoch")
