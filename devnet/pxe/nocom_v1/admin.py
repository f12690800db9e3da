"""The dev_* admin client for a development PXE in nocom-v1 mode: the reference client plus the feed,
pools with a feed and base-10^5 thresholds, 4-decimal feed prices and public views."""

from __future__ import annotations

from typing import Any

from devnet.pxe.admin import Admin
from shared.pxe.fields import from_field, to_field


class NocomAdmin(Admin):
    def create_token(self, symbol: str, name: str | None = None, decimals: int = 18) -> str:
        return self.call("dev_createToken", [symbol, {"name": name or symbol, "decimals": decimals}])

    def create_feed(self, admin_secret_key: str | None = None) -> dict[str, str]:
        """{"address", "admin", "adminSecretKey"}: a MockPriceFeed whose admin is an account of the PXE."""
        return self.call("dev_createFeed", [{"adminSecretKey": admin_secret_key}] if admin_secret_key else [])

    def create_pool(self, collateral_token: str, debt_token: str, max_ltv: int = 75_000, threshold: int = 80_000, *,  # type: ignore[override]
                    feed: str, admin: str | None = None, treasury: str | None = None) -> str:
        options = {key: value for key, value in (("admin", admin), ("treasury", treasury)) if value is not None}
        return self.call("dev_createPool", [collateral_token, debt_token, max_ltv, threshold, feed, options])

    def set_feed_prices(self, prices: dict[str, int], feed: str | None = None) -> None:
        """Prices with 4 decimals by token address (or symbol), straight into the feed."""
        self.call("dev_setFeedPrices", [{asset: str(price) for asset, price in prices.items()}, feed])

    def view(self, function: str, args: list[int | str], to: str) -> list[int]:
        """A public #[view] function through pxe_simulateView, its fields as integers."""
        answer: dict[str, Any] = self.call("pxe_simulateView", [function, [to_field(a) for a in args], to])
        return [from_field(v) for v in answer["result"]]

    def utility(self, function: str, args: list[int | str], to: str) -> list[int]:
        answer: dict[str, Any] = self.call("pxe_simulateUtility", [function, [to_field(a) for a in args], to])
        return [from_field(v) for v in answer["result"]]
