"""The py-evm dev chain's transaction pool, answering like geth's (eth-tester words and rules differ).

With auto-mining off, eth-tester accepts any same-nonce replacement and reports a mined nonce as
"Invalid transaction nonce"; a sender must tell these cases apart on the dev chain as on a node:
"nonce too low", "already known", and a replacement needs ≥ 10 % more on both fee cap and tip
("replacement transaction underpriced"), geth's rule. py-evm cannot queue a nonce gap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak
from hexbytes import HexBytes


def refusal(tester: Any, raw: str) -> str | None:
    """Why a node would refuse this raw transaction now, or None (eth-tester then checks the rest)."""
    data = bytes.fromhex(raw.removeprefix("0x"))
    if not data or data[0] >= 0xC0:  # a legacy transaction: eth-tester's own checks
        return None
    fields = TypedTransaction.from_bytes(HexBytes(data)).as_dict()
    sender = Account.recover_transaction(raw).lower()
    nonce = int(fields["nonce"])
    if nonce < tester.get_nonce(sender, "latest"):
        return "nonce too low"
    tx_hash = "0x" + keccak(data).hex()
    for pending in tester._pending_transactions:
        if str(pending.get("from", "")).lower() != sender or int(pending["nonce"]) != nonce:
            continue
        if pending["hash"] == tx_hash:
            return "already known"
        old_fee, old_tip = int(pending.get("max_fee_per_gas") or 0), int(pending.get("max_priority_fee_per_gas") or 0)
        if int(fields["maxFeePerGas"]) * 10 < old_fee * 11 or int(fields["maxPriorityFeePerGas"]) * 10 < old_tip * 11:
            return "replacement transaction underpriced"
    return None


def node_message(message: str) -> str:
    """eth-tester's wording of a rejected send, as a node says it."""
    if message.startswith("Invalid transaction nonce"):  # a gap: geth would queue it, py-evm cannot
        return f"nonce too high ({message})"
    return message


def content(tester: Any, wire_tx: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """txpool_content: sender → nonce → transaction (py-evm queues no gaps: `queued` stays empty)."""
    pending: dict[str, dict[str, Any]] = {}
    for tx in tester._pending_transactions:
        pending.setdefault(str(tx["from"]).lower(), {})[str(int(tx["nonce"]))] = wire_tx(tx)
    return {"pending": pending, "queued": {}}
