"""The prices the development PXE checks a liquidation's asserted prices against.

With RPC_URL and ORACLE_ADDRESS the PriceOracle contract on that chain is the truth (read with
the product's one oracle reader); without them, a static table set by dev_setPrices.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar

from devnet.static_prices import StaticPrices
from shared.feeds.evm_oracle import OracleReader
from shared.feeds.onchain_price import PriceReader, PricesUnavailable


class PriceUnavailable(Exception):
    """The price source could not be read (the chain is down); a liquidation cannot be checked."""


# Within one JSON-RPC batch the oracle is read once per symbol: the batch is handled at one moment,
# and a read per call would make a batch of 100 liquidations cost half a second.
BATCH_PRICES: ContextVar[dict[str, int] | None] = ContextVar("dev_pxe_batch_prices", default=None)


class ProtocolPrices:
    """8-decimal prices by symbol (0 for one without a price), memoised within a batch."""

    def __init__(self, reader: PriceReader) -> None:
        self.reader = reader

    @property
    def static(self) -> StaticPrices | None:
        """The table dev_setPrices writes to, when there is no chain."""
        return self.reader if isinstance(self.reader, StaticPrices) else None

    async def get_prices(self, symbols: Iterable[str]) -> dict[str, int]:
        memo = BATCH_PRICES.get()
        if memo is None:
            return await self._read(symbols)
        missing = [s for s in set(symbols) if s not in memo]
        if missing:
            memo.update(await self._read(missing))
        return {s: memo[s] for s in symbols}

    async def _read(self, symbols: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(symbols))
        try:
            found = await self.reader.read(wanted)
        except PricesUnavailable as exc:
            raise PriceUnavailable(f"Price oracle unreachable: {exc}") from None
        return {symbol: found[symbol].price for symbol in wanted}

    async def close(self) -> None:
        await self.reader.close()


def protocol_prices(rpc_url: str | None = None, oracle_address: str | None = None) -> ProtocolPrices:
    if rpc_url and oracle_address:
        return ProtocolPrices(OracleReader(rpc_url, oracle_address))
    return ProtocolPrices(StaticPrices())
