"""Prices from nocom-v1's Aztec price feed (MockPriceFeed, its public storage read through the node),
and when they were set.

The feed stores no time. With PRICE_SERVICE_URL set, its writer is our price service, which records
when it set each price and publishes it (GET /prices `onChain.updatedAt`, and the `timestamp` of each
price-update notification). FeedTimes keeps the newest time known per asset; a price whose time is
unknown or older than twice the heartbeat is stale, so no liquidation uses a price nobody vouches for.

With PRICE_SERVICE_URL empty (an operator who is not the feed's admin runs no price service) no age can
be known: the feed's prices are used as the contract uses them, whatever their age (`AGE_UNKNOWN`),
which the engine says at start and in /health.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from shared.feeds.aztec import AztecFeedReader
from shared.feeds.onchain_price import OnChainPrice
from shared.http import make_client
from shared.logging import get_logger
from shared.pxe.client import PxeClient

log = get_logger()

TIMES_REFRESH = 5.0  # seconds between reads of the price service's record


class FeedTimes:
    """When the price service last set each asset's feed price (Unix seconds)."""

    def __init__(self, price_service_url: str, client: httpx.AsyncClient | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.url = f"{price_service_url.rstrip('/')}/prices"
        self._http = client or make_client(timeout=3.0)
        self._owns = client is None
        self._loop_time = clock or (lambda: asyncio.get_running_loop().time())
        self._times: dict[str, int] = {}
        self._tokens: dict[str, str] = {}  # symbol -> the token the feed keys it by, as the price service says
        self._read_at = float("-inf")

    def observe(self, asset: str, updated_at: int) -> None:
        """A price-update notification: the feed was set at `updated_at`."""
        if updated_at > self._times.get(asset, 0):
            self._times[asset] = updated_at

    async def times(self) -> dict[str, int]:
        if self._loop_time() - self._read_at >= TIMES_REFRESH:
            self._read_at = self._loop_time()
            await self._refresh()
        return self._times

    async def _refresh(self) -> None:
        try:
            response = await self._http.get(self.url)
            prices = response.json()["prices"] if response.status_code == 200 else []
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("Price service unreachable for feed times", error=type(exc).__name__)
            return
        for item in prices:
            onchain = item.get("onChain") if isinstance(item, dict) else None
            if isinstance(onchain, dict) and isinstance(onchain.get("updatedAt"), int):
                self.observe(str(item.get("asset")), onchain["updatedAt"])
            if isinstance(onchain, dict) and isinstance(onchain.get("token"), str):
                self._tokens[str(item.get("asset"))] = onchain["token"]

    def token_of(self, asset: str) -> str | None:
        """The token the price service pushes this asset's price under (before any position names it)."""
        return self._tokens.get(asset)

    @property
    def assets(self) -> list[str]:
        """The assets the price service keeps on the feed, as last read."""
        return sorted(self._tokens)

    async def close(self) -> None:
        if self._owns:
            await self._http.aclose()


AGE_UNKNOWN = (
    "unknown: PRICE_SERVICE_URL is empty, so the feed's prices are used as the contract uses them, whatever "
    "their age (the feed keeps no time)"
)


class FeedReader:
    """PriceReader for the Aztec feed: the shared feed reader's prices, with the times FeedTimes knows
    (`times` None: no time is known, each price's is 0)."""

    def __init__(self, pxe: PxeClient, feed_address: str, token_of: Callable[[str], str | None],
                 times: FeedTimes | None) -> None:
        self.feed = AztecFeedReader(pxe, feed_address)
        self.token_of = token_of
        self.times = times

    async def read(self, symbols: list[str]) -> dict[str, OnChainPrice]:
        tokens = {s: t for s in symbols if (t := self.token_of(s)) is not None}
        prices = await self.feed.prices(tokens)
        times = await self.times.times() if self.times is not None else {}
        out = {s: OnChainPrice(0, 0) for s in symbols}
        out.update({s: OnChainPrice(price, times.get(s, 0)) for s, price in prices.items()})
        return out

    async def close(self) -> None:
        if self.times is not None:
            await self.times.close()
