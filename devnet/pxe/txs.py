"""The development PXE's transactions, whatever the protocol: sent ones waiting for a block, mined ones
with their receipts, and proven ones kept by hash until they are sent (pxe_proveTx, pxe_sendProvenTx)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devnet.pxe.rpc_errors import InvalidInput

if TYPE_CHECKING:
    from devnet.pxe.core import AuthwitIntent

# A proven tx is kept this long (of the PXE's clock) for pxe_sendProvenTx; docs/pxe-jsonrpc.md asks for at least 10 minutes.
PROVEN_TX_KEEP_SECONDS = 600


@dataclass(frozen=True)
class ContractCall:
    name: str
    to: str
    args: tuple[int, ...]


@dataclass
class Tx:
    hash: str
    sender: str
    calls: tuple[ContractCall, ...]
    authwits: frozenset[AuthwitIntent]
    status: str = "pending"
    error: str | None = None
    block_number: int | None = None

    def receipt(self) -> dict[str, Any]:
        out: dict[str, Any] = {"txHash": self.hash, "status": self.status}
        if self.error is not None:
            out["error"] = self.error
        if self.block_number is not None:
            out["blockNumber"] = self.block_number
        return out


class TxBook:
    """Every tx this PXE sent (by hash, in order), the pending ones, and the proven ones not yet sent."""

    def __init__(self) -> None:
        self.block_number = 1
        self.txs: dict[str, Tx] = {}
        self.pending: list[Tx] = []
        self.proven: dict[str, tuple[Tx, int]] = {}  # hash -> (tx, kept until this time of the clock)

    def submit(self, tx: Tx) -> str:
        self.txs[tx.hash] = tx
        self.pending.append(tx)
        return tx.hash

    def keep_proven(self, tx: Tx, now: int) -> str:
        """A proven tx, not sent: the node never hears of it until pxe_sendProvenTx."""
        self.proven = {h: kept for h, kept in self.proven.items() if kept[1] >= now}  # forget the expired
        self.proven[tx.hash] = (tx, now + PROVEN_TX_KEEP_SECONDS)
        return tx.hash

    def check_proven(self, tx_hash: str, now: int) -> None:
        """-32701 unless `tx_hash` was sent already or is a proven tx still kept."""
        kept = self.proven.get(tx_hash)
        if tx_hash not in self.txs and (kept is None or kept[1] < now):
            raise InvalidInput(f"txHash: no proven transaction {tx_hash} is kept here (never proven by this PXE, "
                               f"or proven more than {PROVEN_TX_KEEP_SECONDS} s ago)")

    def send_proven(self, tx_hash: str, now: int) -> str:
        """Sends a kept proven tx; one already sent is not sent again (the node knows it)."""
        self.check_proven(tx_hash, now)
        if tx_hash in self.txs:
            return tx_hash
        tx, _ = self.proven.pop(tx_hash)
        return self.submit(tx)

    def take_batch(self, batch: list[Tx]) -> int:
        """Opens the next block with `batch` (pending txs, in order) leaving the pending list."""
        self.block_number += 1
        mining = {id(tx) for tx in batch}
        self.pending = [tx for tx in self.pending if id(tx) not in mining]
        for tx in batch:
            tx.block_number = self.block_number
        return self.block_number

    def tx_book(self) -> list[dict[str, Any]]:
        """Every tx this PXE sent, in order: its receipt, sender and calls (what a block explorer shows)."""
        return [{**tx.receipt(), "from": tx.sender, "calls": [{"name": c.name, "to": c.to} for c in tx.calls]}
                for tx in self.txs.values()]

    def receipt(self, tx_hash: str) -> dict[str, Any]:
        """The node's receipt: a hash it never received (unknown, or proven and not sent) is `dropped`."""
        tx = self.txs.get(tx_hash)
        return tx.receipt() if tx else {"txHash": tx_hash, "status": "dropped"}
