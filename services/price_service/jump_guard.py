"""Big moves wait for a second, newer quote before they go on-chain (MAX_PRICE_JUMP).

A single bad quote (a source's glitch, a thin market's wick) must not liquidate anyone; a real move
is seen again by the next poll, on the same side, and then passes.
"""

from __future__ import annotations

from decimal import Decimal

from services.price_service.sources import Quote
from services.price_service.update_rule import is_jump, jump_confirmed
from shared.logging import get_logger
from shared.units import format_units

log = get_logger()


class JumpGuard:
    def __init__(self, max_jump_pct: Decimal, decimals: int) -> None:
        self.max_jump_pct = max_jump_pct
        self.decimals = decimals
        self.pending: dict[str, Quote] = {}  # symbol -> the suspect quote (price in feed units)

    def passes(self, quote: Quote, onchain_price: int) -> bool:
        """True when `quote` (in feed units) may go on-chain now."""
        symbol, price, limit = quote.symbol, quote.price, self.max_jump_pct
        if not is_jump(price, onchain_price, limit):
            self.pending.pop(symbol, None)
            return True
        suspect = self.pending.get(symbol)
        # Only a newer quote confirms: fetching the same quote twice proves nothing.
        if suspect is not None and quote.timestamp > suspect.timestamp and \
                jump_confirmed(price, suspect.price, onchain_price, limit):
            self.pending.pop(symbol, None)
            log.warning("Price jump confirmed", asset=symbol, previousPrice=self._show(onchain_price),
                        newPrice=self._show(price))
            return True
        if suspect is None or quote.timestamp > suspect.timestamp:
            self.pending[symbol] = quote
            log.warning("Price jump held for confirmation", asset=symbol, previousPrice=self._show(onchain_price),
                        newPrice=self._show(price), maxJumpPct=str(limit))
        return False

    def forget(self, symbol: str) -> None:
        self.pending.pop(symbol, None)

    def _show(self, price: int) -> str:
        return format_units(price, self.decimals)
