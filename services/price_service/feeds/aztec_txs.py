"""nocom-v1's price pushes packed (issue 22): at most MAX_FEED_ASSETS_PER_CALL assets in one `set_prices`
call (the contract's limit), and as many calls in one transaction as the account's entrypoint carries
(`pxe_getTxLimits`: 5 for Aztec's Schnorr account, 4 with sponsored fees). A real PXE spends about the
same seconds on a transaction of five calls as on one of one, so 50 assets are 13 calls in 3
transactions instead of 13 transactions.

A transaction's calls succeed or revert together. A refused simulation sends nothing; a transaction
mined `reverted` wrote nothing: either way its assets are reported failed with the reason (and the hash
when it was mined), so the keeper logs `Price update failed`, counts it, shows it in /health, and the
assets, still off their on-chain price, are due again at the next poll.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.pxe.client import Call, PxeClient, TxReceipt
from shared.pxe.errors import PxeError, PxeMethodNotFound, PxeReverted
from shared.pxe.fields import to_field
from shared.pxe.jsonrpc import as_int

UNKNOWN_LIMIT_CALLS = 1  # a PXE that does not say (no pxe_getTxLimits): one call a transaction, as before


@dataclass(frozen=True)
class PriceTx:
    """One transaction of a push: its calls, and the assets they set."""

    calls: list[Call]
    symbols: list[str]


def set_prices_args(tokens: list[str], prices: list[int], capacity: int) -> list[str]:
    """docs/money-math.md, the nocom-v1 feed: `[a0, a1, a2, a3, len, p0, p1, p2, p3, len]`, each BoundedVec padded with zeros."""
    if len(tokens) != len(prices) or len(tokens) > capacity:
        raise ValueError(f"set_prices takes 1 to {capacity} assets with a price each")
    padding = capacity - len(tokens)
    return ([to_field(t) for t in tokens] + [to_field(0)] * padding + [to_field(len(tokens))]
            + [to_field(p) for p in prices] + [to_field(0)] * padding + [to_field(len(prices))])


def pack(feed: str, entries: Sequence[tuple[str, str, int]], per_call: int, per_tx: int) -> list[PriceTx]:
    """(symbol, token, price) entries as set_prices calls of `per_call` assets, `per_tx` calls a transaction."""
    if per_call < 1 or per_tx < 1:
        raise ValueError("a call carries at least one asset and a transaction at least one call")
    chunks = [list(entries[i:i + per_call]) for i in range(0, len(entries), per_call)]
    calls = [(Call("set_prices", feed, set_prices_args([t for _, t, _ in c], [p for _, _, p in c], per_call)),
              [s for s, _, _ in c]) for c in chunks]
    return [PriceTx([call for call, _ in group], [s for _, symbols in group for s in symbols])
            for group in (calls[i:i + per_tx] for i in range(0, len(calls), per_tx))]


async def max_calls_per_tx(pxe: PxeClient) -> int:
    """What one transaction of this gateway's accounts carries (`pxe_getTxLimits`)."""
    try:
        limits = await pxe.call("pxe_getTxLimits", [])
    except PxeMethodNotFound:
        return UNKNOWN_LIMIT_CALLS
    value = as_int(limits.get("maxCallsPerTx") if isinstance(limits, dict) else None)
    if value < 1:
        raise PxeError(f"PXE answered pxe_getTxLimits with maxCallsPerTx {value}")
    return value


async def send_and_wait(pxe: PxeClient, tx: PriceTx, sender: str, receipt_timeout: float) -> tuple[str, TxReceipt] | str:
    """The transaction sent from `sender` and its final receipt, or why its prices are not on the feed."""
    try:
        tx_hash = await pxe.send_tx(tx.calls, [], sender)
    except PxeReverted as exc:
        return f"refused in simulation, nothing sent: {exc.reason}"
    except PxeError as exc:
        return f"outcome unknown: {exc}"
    try:
        receipt = await pxe.wait_for_receipt(tx_hash, timeout=receipt_timeout)
    except (PxeError, TimeoutError) as exc:
        return f"outcome unknown for {tx_hash}: {exc}"
    if receipt.status != "success":
        return f"transaction {tx_hash} {receipt.status}: {receipt.error or 'no reason given'}"
    return tx_hash, receipt
