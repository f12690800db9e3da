"""Prices from the on-chain PriceOracle: the prices the escrow contract will check, with staleness.

An oracle price older than 2 x PRICE_HEARTBEAT (or missing) is not used for any liquidation.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from shared.logging import get_logger

log = get_logger()


class PricesUnavailable(Exception):
    """The oracle could not be read (chain down, no address configured)."""


@dataclass(frozen=True, slots=True)
class OraclePrice:
    price: int  # 8 decimals
    updated_at: int  # Unix seconds of the oracle update


class PriceReader(Protocol):
    async def read(self, symbols: list[str]) -> dict[str, OraclePrice]: ...

    async def close(self) -> None: ...


class ChainOracleReader:
    """Reads PriceOracle.getPrice through shared.evm, connecting lazily (the chain may come up later)."""

    def __init__(self, rpc_url: str, address: str) -> None:
        self.rpc_url = rpc_url
        self.address = address
        self._chain: Any = None
        self._oracle: Any = None

    async def _get_oracle(self) -> Any:
        if not self.address:
            raise PricesUnavailable("no ORACLE_ADDRESS configured")
        if self._oracle is None:
            from shared.evm.chain import Chain
            from shared.evm.oracle import PriceOracle

            self._chain = await _maybe_await(Chain.connect(self.rpc_url))
            self._oracle = PriceOracle(self._chain, self.address)
        return self._oracle

    async def read(self, symbols: list[str]) -> dict[str, OraclePrice]:
        try:
            oracle = await self._get_oracle()
            raw = await _maybe_await(oracle.get_prices(symbols))
        except PricesUnavailable:
            raise
        except Exception as exc:  # web3 raises many types for a chain that is down
            self._oracle = None
            raise PricesUnavailable(f"oracle read failed: {type(exc).__name__}") from None
        return {s: OraclePrice(int(p.price), int(p.updated_at)) for s, p in raw.items()}

    async def close(self) -> None:
        chain, self._chain, self._oracle = self._chain, None, None
        close = getattr(chain, "close", None)
        if close is not None:
            await _maybe_await(close())


class StaticPrices:
    """A fixed price table (benchmarks and unit tests without a chain)."""

    def __init__(self, prices: dict[str, OraclePrice] | None = None) -> None:
        self.table: dict[str, OraclePrice] = dict(prices or {})

    async def read(self, symbols: list[str]) -> dict[str, OraclePrice]:
        return {s: self.table.get(s, OraclePrice(0, 0)) for s in symbols}

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class PriceSnapshot:
    usable: dict[str, int]  # symbol -> 8-decimal price, fresh and positive
    stale: dict[str, int]  # symbol -> updatedAt of a price too old to use
    missing: list[str]


class OraclePrices:
    def __init__(self, reader: PriceReader, stale_after: float, clock: Callable[[], float] = time.time) -> None:
        self.reader = reader
        self.stale_after = stale_after
        self._clock = clock

    async def snapshot(self, symbols: Iterable[str]) -> PriceSnapshot:
        wanted = sorted(set(symbols))
        if not wanted:
            return PriceSnapshot({}, {}, [])
        raw = await self.reader.read(wanted)
        now = self._clock()
        usable: dict[str, int] = {}
        stale: dict[str, int] = {}
        missing: list[str] = []
        for symbol in wanted:
            price = raw.get(symbol)
            if price is None or price.price <= 0 or price.updated_at <= 0:
                missing.append(symbol)
                log.warning("Price unavailable", asset=symbol)
            elif now - price.updated_at > self.stale_after:
                stale[symbol] = price.updated_at
                log.warning("Price stale", asset=symbol, updatedAt=price.updated_at)
            else:
                usable[symbol] = price.price
        return PriceSnapshot(usable, stale, missing)


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
