"""The one reader of nocom-v1's Aztec price feed (MockPriceFeed, `price_oracle/src/main.nr`).

The feed is keyed by token address and holds `u128` prices with 4 decimals and no time. The price
service reads back what it wrote; the engine reads what a liquidation will assert. Both read here,
each adding the time it knows (docs/money-math.md, nocom-v1).

A price is read from the feed's public storage through the node (`assets` is the map at slot 1, a
token's price the word at `derive_storage_slot_in_map(1, token)`, docs/pxe-jsonrpc.md), not by
simulating `get_price`: a simulation is a PXE job that waits behind every proof (1.2 s and more on
a real PXE), a storage read is the node's answer in milliseconds.
"""

from __future__ import annotations

from functools import lru_cache

from shared.feeds.onchain_price import PricesUnavailable
from shared.pxe.client import PxeClient
from shared.pxe.errors import PxeError
from shared.pxe.storage_slots import derive_storage_slot_in_map

ASSETS_SLOT = 1  # MockPriceFeed's storage: `assets: Map<AztecAddress, PublicMutable<u128>>`
U128_MAX = 2**128 - 1


@lru_cache(maxsize=4096)
def price_slot(token: str) -> int:
    """Where the feed keeps a token's price (a Poseidon2 hash: computed once per token)."""
    return derive_storage_slot_in_map(ASSETS_SLOT, token)


class AztecFeedReader:
    def __init__(self, pxe: PxeClient, feed_address: str) -> None:
        self.pxe = pxe
        self.address = feed_address

    async def prices(self, tokens: dict[str, str]) -> dict[str, int]:
        """Each symbol's feed price by its token address (0 when never set); PricesUnavailable otherwise."""
        if not self.address:
            raise PricesUnavailable("no PRICE_FEED_ADDRESS configured")
        if not tokens:
            return {}
        try:
            words = await self.pxe.public_storage(self.address, [price_slot(token) for token in tokens.values()])
        except PxeError as exc:
            raise PricesUnavailable(f"price feed unreadable through the node: {exc}") from None
        return {symbol: _price(symbol, word) for symbol, word in zip(tokens, words, strict=True)}


def _price(symbol: str, word: int | PxeError) -> int:
    if isinstance(word, PxeError):
        raise PricesUnavailable(f"price feed storage of {symbol} unreadable: {word}")
    if word > U128_MAX:
        raise PricesUnavailable(f"price feed storage of {symbol} holds no u128 price")
    return word
