"""A seeded, mean-reverting random walk of prices for local runs and tests, with crashes on demand.

Prices stay 8-decimal integers throughout: each step is a whole number of basis points.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable

from services.price_service.sources.base import Quote, to_price_units

SOURCE = "mock"
BPS = 10_000

# Rough market levels, as decimal strings so they convert exactly.
BASE_PRICES: dict[str, str] = {
    "BTC": "97000", "WBTC": "97000", "ETH": "3400", "WETH": "3400", "STETH": "3400",
    "SOL": "190", "BNB": "680", "XRP": "2.3", "ADA": "0.9", "DOGE": "0.35", "AVAX": "38",
    "DOT": "7", "ATOM": "6.5", "LTC": "105", "LINK": "20", "AAVE": "300", "UNI": "12",
    "ARB": "0.8", "OP": "1.9", "MATIC": "0.5", "POL": "0.5", "TRX": "0.25", "NEAR": "5",
    "APT": "9", "SUI": "4", "MKR": "1500", "CRV": "0.8", "LDO": "1.8", "SHIB": "0.00002",
    "PEPE": "0.00001", "TON": "5.5", "BCH": "450", "XLM": "0.4", "FIL": "5", "ETC": "26",
    "USDC": "1", "USDT": "1", "DAI": "1", "FRAX": "1", "TUSD": "1", "USDP": "1", "PYUSD": "1",
    "LUSD": "1", "GUSD": "1", "FDUSD": "1", "USDE": "1", "USDS": "1",
}
STABLECOINS = frozenset({"USDC", "USDT", "DAI", "FRAX", "TUSD", "USDP", "PYUSD", "LUSD", "GUSD", "FDUSD", "USDE", "USDS"})

STABLE_STEP_BPS = 2
# Share of the distance back to the base price recovered each step (1/50 for assets, 1/2 for
# stablecoins): a long demo neither drifts to zero nor to the moon, and a crash slowly heals.
ASSET_REVERSION_DIVISOR = 50
STABLE_REVERSION_DIVISOR = 2


def derived_base_price(symbol: str) -> int:
    """A stable, plausible price for a symbol without a known level: $0.100 to $9 990."""
    digest = int.from_bytes(hashlib.sha256(symbol.encode()).digest()[:8], "big")
    mantissa = 100 + digest % 900  # three significant digits
    exponent = (digest // 900) % 5
    scale: int = 10 ** (exponent + 5)
    return mantissa * scale


def base_price(symbol: str) -> int:
    known = BASE_PRICES.get(symbol)
    return to_price_units(known) if known is not None else derived_base_price(symbol)


class MockPriceSource:
    name = SOURCE

    def __init__(
        self,
        seed: int = 42,
        *,
        volatility_bps: int = 30,
        crash_probability: float = 0.0,
        crash_bps: int = 2500,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if volatility_bps < 0 or volatility_bps >= BPS:
            raise ValueError("volatility_bps must be in [0, 10000)")
        if not 0.0 <= crash_probability <= 1.0:
            raise ValueError("crash_probability must be in [0, 1]")
        _check_crash_bps(crash_bps)
        self._rng = random.Random(seed)
        self._volatility_bps = volatility_bps
        self._crash_probability = crash_probability
        self._crash_bps = crash_bps
        self._clock = clock
        self._prices: dict[str, int] = {}
        self._pending_crashes: dict[str, int] = {}
        self.last_rejected: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"MockPriceSource(volatility_bps={self._volatility_bps}, crash_probability={self._crash_probability})"

    async def close(self) -> None:
        return None

    async def fetch(self, symbols: list[str]) -> dict[str, Quote]:
        now = int(self._clock())
        quotes: dict[str, Quote] = {}
        for symbol in dict.fromkeys(s.strip().upper() for s in symbols if s.strip()):
            quotes[symbol] = Quote(symbol=symbol, price=self._next_price(symbol), timestamp=now, source=SOURCE)
        return quotes

    def force_crash(self, symbol: str, bps: int | None = None) -> None:
        """The next fetch of `symbol` returns its current price lowered by exactly `bps` (default crash_bps)."""
        drop = self._crash_bps if bps is None else bps
        _check_crash_bps(drop)
        self._pending_crashes[symbol.strip().upper()] = drop

    def _next_price(self, symbol: str) -> int:
        price = self._prices.get(symbol)
        forced = self._pending_crashes.pop(symbol, None)
        if price is None:
            # First sight shows the base level; a forced crash still applies to it.
            price = base_price(symbol)
            new = _lowered(price, forced) if forced is not None else price
        elif forced is not None:
            new = _lowered(price, forced)
        else:
            new = self._step(symbol, price)
        self._prices[symbol] = new
        return new

    def _step(self, symbol: str, price: int) -> int:
        base = base_price(symbol)
        deviation_bps = (price - base) * BPS // base
        if symbol in STABLECOINS:
            move_bps = self._rng.randint(-STABLE_STEP_BPS, STABLE_STEP_BPS) - deviation_bps // STABLE_REVERSION_DIVISOR
            return max(1, price * (BPS + move_bps) // BPS)
        # The crash roll is drawn every step, so a seed's sequence does not depend on the outcome.
        crashed = self._rng.random() < self._crash_probability
        move_bps = self._rng.randint(-self._volatility_bps, self._volatility_bps)
        if crashed:
            return _lowered(price, self._crash_bps)
        move_bps -= deviation_bps // ASSET_REVERSION_DIVISOR
        move_bps = max(-(BPS - 1), move_bps)
        return max(1, price * (BPS + move_bps) // BPS)


def _lowered(price: int, bps: int) -> int:
    return max(1, price * (BPS - bps) // BPS)


def _check_crash_bps(bps: int) -> None:
    if not 0 < bps < BPS:
        raise ValueError("crash bps must be in (0, 10000)")
