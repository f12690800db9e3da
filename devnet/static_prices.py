"""A fixed price table behind the PriceReader interface: the development PXE without a chain, unit
tests and benchmarks that must not depend on one."""

from __future__ import annotations

from shared.feeds.onchain_price import OnChainPrice


class StaticPrices:
    def __init__(self, prices: dict[str, OnChainPrice] | None = None) -> None:
        self.table: dict[str, OnChainPrice] = dict(prices or {})

    def set(self, prices: dict[str, int], updated_at: int = 1) -> None:
        """8-decimal prices by symbol (upper-cased), stamped `updated_at`."""
        self.table.update({symbol.upper(): OnChainPrice(price, updated_at) for symbol, price in prices.items()})

    async def read(self, symbols: list[str]) -> dict[str, OnChainPrice]:
        return {s: self.table.get(s.upper(), OnChainPrice(0, 0)) for s in symbols}

    async def close(self) -> None:
        return None
