"""EIP-1559 fees for a first send and for a replacement at the same nonce, under a cap.

A replacement must pay at least 12.5 % more on both the fee cap and the tip (rounded up): geth,
erigon and nethermind ask 10 %, some pools and relays 12.5 %, so 12.5 % is accepted everywhere.
Nothing is ever priced above `cap`; once a bump would cross it, bumping stops.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.price_service.evm.errors import TxFailed

GWEI = 10**9
BUMP_NUM, BUMP_DEN = 9, 8  # +12.5 %


@dataclass(frozen=True)
class Fees:
    max_fee: int  # maxFeePerGas, wei
    priority: int  # maxPriorityFeePerGas, wei

    def __str__(self) -> str:
        return f"maxFee {gwei(self.max_fee)} gwei, tip {gwei(self.priority)} gwei"


def gwei(wei: int) -> str:
    """Exact decimal gwei for messages ('1.5', '500')."""
    whole, rest = divmod(wei, GWEI)
    return f"{whole}.{rest:09d}".rstrip("0").rstrip(".") if rest else str(whole)


def bumped(value: int) -> int:
    """value × 1.125, rounded up."""
    return -(-value * BUMP_NUM // BUMP_DEN)


def market_fees(base_fee: int, priority: int) -> Fees:
    """What the network asks now: room for the base fee to double before the tx is mined."""
    return Fees(max_fee=2 * base_fee + priority, priority=priority)


def initial_fees(base_fee: int, priority: int, cap: int) -> Fees:
    """Fees for a first send; TxFailed (nothing sent) when the network alone asks more than `cap`."""
    if base_fee + priority > cap:
        raise TxFailed(f"network fee {gwei(base_fee + priority)} gwei is above the cap of {gwei(cap)} gwei: not sent")
    market = market_fees(base_fee, priority)
    max_fee = min(market.max_fee, cap)
    return Fees(max_fee=max_fee, priority=min(priority, max_fee))


def replacement_fees(old: Fees, market: Fees, cap: int) -> Fees | None:
    """Fees for a replacement of `old`: bumped ≥ 12.5 % each, at least the market, at most `cap`.

    None when the bump would cross the cap: the caller keeps the transaction it has.
    """
    priority = max(bumped(old.priority), market.priority)
    max_fee = min(max(bumped(old.max_fee), market.max_fee, priority), cap)
    priority = min(priority, max_fee)
    if max_fee < bumped(old.max_fee) or priority < bumped(old.priority):
        return None
    return Fees(max_fee=max_fee, priority=priority)
