"""The reference protocol's own dev_* methods: tokens, pools, the price table and the demo.

The ones both protocols share (escrows, positions, blocks, job figures) are devnet/pxe/admin_methods.py's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devnet.pxe import params as parse
from devnet.pxe.admin_methods import MAX_BULK_ESCROWS, AdminMethods
from devnet.pxe.reference.demo import seed_demo
from devnet.pxe.reference.prices import ProtocolPrices
from devnet.pxe.reference.state import ReferenceState
from devnet.pxe.rpc_errors import InvalidInput

if TYPE_CHECKING:
    from devnet.pxe.admin_methods import Handler


class ReferenceAdminMethods(AdminMethods):
    state: ReferenceState  # type: ignore[assignment]
    prices: ProtocolPrices

    def admin_methods(self) -> dict[str, Handler]:
        return {
            **super().admin_methods(),
            "dev_createToken": self.dev_create_token,
            "dev_createPool": self.dev_create_pool,
            "dev_setPrices": self.dev_set_prices,
            "dev_seedDemo": self.dev_seed_demo,
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

    async def dev_set_prices(self, params: list[Any]) -> None:
        (table,) = parse.arity(params, 1)
        static = self.prices.static
        if static is None:
            raise InvalidInput("Prices come from the PriceOracle on RPC_URL; dev_setPrices only works without it")
        if not isinstance(table, dict) or not table:
            raise InvalidInput('Expected {"SYMBOL": "price with 8 decimals", ...}')
        static.set({str(symbol): parse.amount(price, f"price of {symbol}") for symbol, price in table.items()})
        return None

    async def dev_seed_demo(self, params: list[Any]) -> dict[str, Any]:
        options = parse.options(parse.arity(params, 0, 1))
        escrows = parse.amount(options.get("escrows", 8), "escrows")
        if escrows > MAX_BULK_ESCROWS:
            raise InvalidInput(f"escrows must be at most {MAX_BULK_ESCROWS}")
        return await seed_demo(self.state, self.prices, escrows, bool(options.get("registered", False)))
