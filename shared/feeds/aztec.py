"""The one reader of nocom-v1's Aztec price feed (MockPriceFeed, `price_oracle/src/main.nr`).

The feed is keyed by token address and holds `u128` prices with 4 decimals and no time. The price
service reads back what it wrote; the engine reads what a liquidation will assert. Both read here,
each adding the time it knows (docs/money-math.md, "nocom-v1").
"""

from __future__ import annotations

from shared.feeds.onchain_price import PricesUnavailable
from shared.pxe.client import PxeClient
from shared.pxe.errors import PxeError
from shared.pxe.fields import from_field


class AztecFeedReader:
    def __init__(self, pxe: PxeClient, feed_address: str) -> None:
        self.pxe = pxe
        self.address = feed_address

    async def prices(self, tokens: dict[str, str]) -> dict[str, int]:
        """Each symbol's feed price by its token address (0 when never set); PricesUnavailable otherwise."""
        if not self.address:
            raise PricesUnavailable("no PRICE_FEED_ADDRESS configured")
        requests = [("pxe_simulateView", ["get_price", [token], self.address]) for token in tokens.values()]
        try:
            answers = await self.pxe.call_many(requests) if requests else []
        except PxeError as exc:
            raise PricesUnavailable(f"price feed unreadable through the PXE: {exc}") from None
        return {symbol: _price(symbol, answer) for symbol, answer in zip(tokens, answers, strict=True)}


def _price(symbol: str, answer: object) -> int:
    if isinstance(answer, PxeError):
        raise PricesUnavailable(f"price feed get_price({symbol}) failed: {answer}")
    values = answer.get("result") if isinstance(answer, dict) else answer
    if not isinstance(values, list) or not values:
        raise PricesUnavailable(f"price feed get_price({symbol}) answered without a value")
    try:
        return from_field(values[0])
    except ValueError:
        raise PricesUnavailable(f"price feed get_price({symbol}) answered something that is not a field") from None
