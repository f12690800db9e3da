"""The prices the protocol checks a liquidation's asserted prices against.

With RPC_URL and ORACLE_ADDRESS the PriceOracle contract on that chain is the truth (through
shared.evm when that package is present, else a minimal getPrice(bytes32) reader); without
them, a static table set by dev_setPrices.
"""

from __future__ import annotations

import asyncio
import inspect
from contextvars import ContextVar
from collections.abc import Iterable
from typing import Any, Protocol

GET_PRICE_ABI = [
    {
        "inputs": [{"internalType": "bytes32", "name": "asset", "type": "bytes32"}],
        "name": "getPrice",
        "outputs": [
            {"internalType": "uint256", "name": "price", "type": "uint256"},
            {"internalType": "uint64", "name": "updatedAt", "type": "uint64"},
        ],
        "stateMutability": "view",
        "type": "function",
    }
]


class PriceUnavailable(Exception):
    """The price source could not be read (the chain is down); a liquidation cannot be checked."""


class PriceSource(Protocol):
    on_chain: bool

    async def get_prices(self, symbols: Iterable[str]) -> dict[str, int]:
        """8-decimal prices by symbol; 0 for a symbol without a price."""
        ...

    async def close(self) -> None: ...


class StaticPrices:
    on_chain = False

    async def close(self) -> None:
        return None

    def __init__(self, prices: dict[str, int] | None = None) -> None:
        self.table: dict[str, int] = dict(prices or {})

    def set(self, prices: dict[str, int]) -> None:
        self.table.update({symbol.upper(): price for symbol, price in prices.items()})

    async def get_prices(self, symbols: Iterable[str]) -> dict[str, int]:
        return {symbol: self.table.get(symbol.upper(), 0) for symbol in symbols}


def asset_key(symbol: str) -> bytes:
    """The oracle's key: upper-case ASCII right-padded with zero bytes to 32 (SPEC section 5)."""
    raw = symbol.upper().encode("ascii")
    if len(raw) > 32:
        raise ValueError("a symbol is at most 32 bytes")
    return raw.ljust(32, b"\x00")


# Within one JSON-RPC batch the oracle is read once per symbol: the batch is handled at one moment,
# and a web3 read per call would make a batch of 100 liquidations cost half a second.
BATCH_PRICES: ContextVar[dict[str, int] | None] = ContextVar("dev_pxe_batch_prices", default=None)


class OraclePrices:
    on_chain = True

    def __init__(self, rpc_url: str, oracle_address: str) -> None:
        self.rpc_url = rpc_url
        self.oracle_address = oracle_address
        self._reader: _Reader | None = None

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
            reader = await self._current_reader()
            values = await asyncio.gather(*(reader.read(symbol) for symbol in wanted))
        except Exception as exc:  # web3 raises many types for a chain that is down
            raise PriceUnavailable(f"Price oracle unreachable: {type(exc).__name__}") from None
        return dict(zip(wanted, values, strict=True))

    async def close(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await reader.close()

    async def _current_reader(self) -> "_Reader":
        # An async web3 session belongs to the event loop that opened it; a restarted server has a new one.
        loop = asyncio.get_running_loop()
        if self._reader is not None and self._reader.loop is not loop:
            self._reader = None
        if self._reader is None:
            self._reader = await _open_reader(self.rpc_url, self.oracle_address, loop)
        return self._reader


class _Reader:
    def __init__(self, loop: asyncio.AbstractEventLoop, read: Any, close: Any = None) -> None:
        self.loop = loop
        self.read = read
        self._close = close

    async def close(self) -> None:
        if self._close is not None:
            await self._close()


async def _open_reader(rpc_url: str, oracle_address: str, loop: asyncio.AbstractEventLoop) -> _Reader:
    """The project's own oracle adapter (shared.evm) when present, else a minimal getPrice reader."""
    try:
        from shared.evm.chain import Chain
        from shared.evm.oracle import PriceOracle
    except ImportError:
        return _web3_reader(rpc_url, oracle_address, loop)
    chain = await _call(Chain.connect, rpc_url)
    oracle = PriceOracle(chain, oracle_address)

    async def read(symbol: str) -> int:
        return int((await _call(oracle.get_price, symbol.upper())).price)

    async def close() -> None:
        if hasattr(chain, "close"):
            await _call(chain.close)

    return _Reader(loop, read, close)


def _web3_reader(rpc_url: str, oracle_address: str, loop: asyncio.AbstractEventLoop) -> _Reader:
    from web3 import Web3

    web3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 5}))
    contract = web3.eth.contract(address=Web3.to_checksum_address(oracle_address), abi=GET_PRICE_ABI)

    async def read(symbol: str) -> int:
        price, _updated_at = await asyncio.to_thread(contract.functions.getPrice(asset_key(symbol)).call)
        return int(price)

    return _Reader(loop, read)


async def _call(function: Any, *args: Any) -> Any:
    """Calls a sync or async function without blocking the event loop."""
    if inspect.iscoroutinefunction(function):
        return await function(*args)
    result = await asyncio.to_thread(function, *args)
    return await result if inspect.isawaitable(result) else result
