"""Prices from the on-chain PriceOracle: the prices the escrow contract will check, with staleness.

An oracle price older than 2 x PRICE_HEARTBEAT (or missing) is not used for any liquidation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import httpx
from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector

from shared.evm.oracle import asset_key
from shared.http import make_client
from shared.logging import get_logger

log = get_logger()

GET_PRICE_SELECTOR = function_signature_to_4byte_selector("getPrice(bytes32)")


class PricesUnavailable(Exception):
    """The oracle could not be read (chain down, no address configured)."""


@dataclass(frozen=True, slots=True)
class OraclePrice:
    price: int  # 8 decimals
    updated_at: int  # Unix seconds of the oracle update


class PriceReader(Protocol):
    async def read(self, symbols: list[str]) -> dict[str, OraclePrice]: ...

    async def close(self) -> None: ...


class RpcOracleReader:
    """PriceOracle.getPrice for every wanted asset in ONE batched JSON-RPC `eth_call` request.

    Encoding comes from the web3 stack (eth-utils selector, eth-abi, shared.evm's asset key); the
    transport is a persistent httpx connection rather than web3's async provider, whose process-wide
    session lock can stay held forever when a call is cancelled mid-way (a wait_for timeout, a
    shutdown), after which every web3 call in the process hangs. A check must never hang on that.
    """

    def __init__(self, rpc_url: str, address: str, timeout: float = 5.0, client: httpx.AsyncClient | None = None) -> None:
        self.rpc_url = rpc_url
        self.address = address.lower()
        self._owns = client is None
        self._http = client or make_client(timeout=timeout)

    async def read(self, symbols: list[str]) -> dict[str, OraclePrice]:
        if not self.address:
            raise PricesUnavailable("no ORACLE_ADDRESS configured")
        batch = [
            {"jsonrpc": "2.0", "id": i, "method": "eth_call",
             "params": [{"to": self.address, "data": "0x" + (GET_PRICE_SELECTOR + asset_key(s)).hex()}, "latest"]}
            for i, s in enumerate(symbols)
        ]
        try:
            response = await self._http.post(self.rpc_url, json=batch)
            answers = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise PricesUnavailable(f"chain unreachable at {self.rpc_url}: {type(exc).__name__}") from None
        if response.status_code != 200 or not isinstance(answers, list):
            raise PricesUnavailable(f"chain answered eth_call with HTTP {response.status_code}")
        by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
        out: dict[str, OraclePrice] = {}
        for i, symbol in enumerate(symbols):
            answer = by_id.get(i) or {}
            raw = answer.get("result")
            if not isinstance(raw, str) or len(raw) < 2 + 128:
                raise PricesUnavailable(f"oracle getPrice({symbol}) failed: {answer.get('error') or 'empty result'}")
            price, updated_at = abi_decode(["uint256", "uint64"], bytes.fromhex(raw[2:]))
            out[symbol] = OraclePrice(int(price), int(updated_at))
        return out

    async def close(self) -> None:
        if self._owns:
            await self._http.aclose()


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
