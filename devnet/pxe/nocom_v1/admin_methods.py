"""The dev_* admin methods of the development PXE in nocom-v1 mode.

Those both protocols share (escrows, positions, mint, latency, blocks, job figures) are
devnet/pxe/admin_methods.py's, over NocomState; these are nocom-v1's own: the feed, tokens with a name
and decimals, pools with a feed and base-10^5 thresholds, 4-decimal feed prices, the demo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devnet.pxe import params as parse
from devnet.pxe.admin_methods import MAX_BULK_ESCROWS, AdminMethods
from devnet.pxe.nocom_v1.demo import seed_nocom_demo
from devnet.pxe.nocom_v1.state import NocomState
from devnet.pxe.rpc_errors import InvalidInput

if TYPE_CHECKING:
    from devnet.pxe.admin_methods import Handler


class NocomAdminMethods(AdminMethods):
    state: NocomState  # type: ignore[assignment]

    def admin_methods(self) -> dict[str, Handler]:
        return {
            **super().admin_methods(),
            "dev_createToken": self.dev_create_nocom_token,
            "dev_createFeed": self.dev_create_feed,
            "dev_createPool": self.dev_create_nocom_pool,
            "dev_setFeedPrices": self.dev_set_feed_prices,
            "dev_setPrices": self.dev_set_prices_elsewhere,
            "dev_seedDemo": self.dev_seed_nocom_demo,
        }

    async def dev_create_nocom_token(self, params: list[Any]) -> str:
        """[symbol, {"name"?, "decimals"?}] -> address: an aztec-standards Token (18 decimals unless told)."""
        symbol, *rest = parse.arity(params, 1, 2)
        options = parse.options(rest)
        name = options.get("name", symbol)
        if not isinstance(symbol, str) or not isinstance(name, str):
            raise InvalidInput("symbol and name must be strings")
        return self.state.create_token(symbol, name, parse.amount(options.get("decimals", 18), "decimals"))

    async def dev_create_feed(self, params: list[Any]) -> dict[str, str]:
        """[{"adminSecretKey"?}] -> {"address", "admin", "adminSecretKey"}: a MockPriceFeed and its admin account."""
        options = parse.options(parse.arity(params, 0, 1))
        key = options.get("adminSecretKey")
        return self.state.create_feed(None if key is None else parse.field_str(key, "adminSecretKey"))

    async def dev_create_nocom_pool(self, params: list[Any]) -> str:
        """[collateralToken, debtToken, maxLtv, liquidationThreshold, feed, {"admin"?, "treasury"?}] (base 10^5)."""
        collateral, debt, max_ltv, threshold, feed, *rest = parse.arity(params, 5, 6)
        options = parse.options(rest)
        admin, treasury = options.get("admin"), options.get("treasury")
        return self.state.create_pool(
            parse.address(collateral, "collateralToken"), parse.address(debt, "debtToken"),
            parse.amount(max_ltv, "maxLtv"), parse.amount(threshold, "liquidationThreshold"), parse.address(feed, "feed"),
            None if admin is None else parse.address(admin, "admin"),
            None if treasury is None else parse.address(treasury, "treasury"),
        )

    async def dev_set_feed_prices(self, params: list[Any]) -> None:
        """[{"0xtoken" or "SYMBOL": "price with 4 decimals"}, feed?]: straight into the feed (the first one unless named)."""
        table, *rest = parse.arity(params, 1, 2)
        if not isinstance(table, dict) or not table:
            raise InvalidInput('Expected {"0xtoken or SYMBOL": "price with 4 decimals", ...}')
        feeds = self.state.world.feeds
        if rest and rest[0] is not None:
            feed = parse.address(rest[0], "feed")
        elif feeds:
            feed = next(iter(feeds))
        else:
            raise InvalidInput("No price feed yet: create one with dev_createFeed")
        prices = {self._token_key(asset): parse.amount(price, f"price of {asset}") for asset, price in table.items()}
        self.state.set_feed_prices(feed, prices)
        return None

    async def dev_set_prices_elsewhere(self, params: list[Any]) -> None:
        raise InvalidInput("nocom-v1 prices live in the MockPriceFeed: use dev_setFeedPrices (4 decimals) or a set_prices tx")

    async def dev_seed_nocom_demo(self, params: list[Any]) -> dict[str, Any]:
        options = parse.options(parse.arity(params, 0, 1))
        escrows = parse.amount(options.get("escrows", 8), "escrows")
        if escrows > MAX_BULK_ESCROWS:
            raise InvalidInput(f"escrows must be at most {MAX_BULK_ESCROWS}")
        return seed_nocom_demo(self.state, escrows, bool(options.get("registered", False)), self.now())

    def _token_key(self, asset: str) -> str:
        if asset.startswith("0x"):
            return parse.address(asset, "token")
        return self.state.token_by_symbol(asset)
