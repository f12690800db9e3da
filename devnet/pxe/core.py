"""What the development PXE does the same way under every protocol: accounts, contract registration,
authwits, transactions waiting for a block and their receipts.

A protocol's state (state.py for `reference`, nocom_state.py for `nocom-v1`) builds on PxeCore and
adds its own contracts, reads and transaction rules.
"""

from __future__ import annotations

import hmac
import itertools
import secrets
from collections.abc import Iterator, MutableSet
from dataclasses import dataclass
from typing import Any

from devnet.pxe.derivation import account_address, derive_field
from devnet.pxe.protocol import AuthwitIntent
from devnet.pxe.rpc_errors import InvalidInput


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


class OverlaySet(MutableSet[AuthwitIntent]):
    """The consumed-authwit set as a tx sees it: the committed set plus its own additions."""

    def __init__(self, base: set[AuthwitIntent]) -> None:
        self.base = base
        self.added: set[AuthwitIntent] = set()

    def __contains__(self, item: object) -> bool:
        return item in self.added or item in self.base

    def __iter__(self) -> Iterator[AuthwitIntent]:
        return itertools.chain(self.base, self.added - self.base)

    def __len__(self) -> int:
        return len(self.base) + len(self.added - self.base)

    def add(self, value: AuthwitIntent) -> None:
        self.added.add(value)

    def discard(self, value: AuthwitIntent) -> None:
        self.added.discard(value)


def authwit_request_hash(intent: AuthwitIntent) -> str:
    """The hash an account signs for an intent (a stand-in for Aztec's authwit message hash)."""
    return derive_field("authwit-request", intent.on_behalf_of, intent.caller, intent.name, intent.to, *intent.args)


@dataclass
class EscrowKeys:
    secret_key: str
    instance: dict[str, Any]


class PxeCore:
    """Accounts, registered contracts, authwits and the tx book: the parts no protocol changes."""

    def __init__(self, salt: str | None = None) -> None:
        self.block_number = 1
        self.accounts: dict[str, str] = {}  # address -> secret key
        self.escrow_keys: dict[str, EscrowKeys] = {}
        self.readable: set[str] = set()  # escrows whose notes this PXE can decrypt
        self.contracts: dict[str, dict[str, Any]] = {}  # registered instances
        self.authwits: dict[str, tuple[AuthwitIntent, str]] = {}  # request hash -> (intent, witness)
        self.consumed: set[AuthwitIntent] = set()
        self.txs: dict[str, Tx] = {}
        self.pending: list[Tx] = []
        self._counter = itertools.count(1)
        # Unique addresses per process; a given salt makes them repeatable: two dev PXEs with one salt,
        # built alike, hold the same escrows (note-monitor replicas, one PXE each: issue 14).
        self._salt = salt or secrets.token_hex(16)

    def _fresh(self, kind: str, *parts: object) -> str:
        return derive_field(kind, self._salt, next(self._counter), *parts)

    # --- accounts and contracts -----------------------------------------------------------

    def register_account(self, secret_key: str) -> str:
        address = account_address(secret_key)
        self.accounts[address] = secret_key
        return address

    def register_contract(self, instance: dict[str, Any], secret_key: str | None) -> None:
        address = instance["address"]
        keys = self.escrow_keys.get(address)
        if keys is not None and secret_key is not None:
            if not hmac.compare_digest(keys.secret_key, secret_key):
                raise InvalidInput("Secret key does not match the contract's public keys")
            self.readable.add(address)
        self.contracts[address] = instance

    def require_account(self, address: str) -> str:
        if address not in self.accounts:
            raise InvalidInput(f"Unknown account {address}: register it with pxe_registerAccount")
        return self.accounts[address]

    # --- authwits ---------------------------------------------------------------------------

    def create_authwit(self, on_behalf_of: str, caller: str, call: ContractCall) -> dict[str, Any]:
        secret_key = self.require_account(on_behalf_of)
        intent = AuthwitIntent(on_behalf_of, caller, call.name, call.to, call.args)
        request_hash = authwit_request_hash(intent)
        witness = derive_field("authwit-signature", secret_key, request_hash)
        self.authwits[request_hash] = (intent, witness)
        return {"requestHash": request_hash, "witness": [witness]}

    def authwit_intents(self, authwits: list[dict[str, Any]]) -> frozenset[AuthwitIntent]:
        """The intents a tx's authwits prove; one that this PXE did not sign proves nothing."""
        intents = set()
        for authwit in authwits:
            known = self.authwits.get(authwit["requestHash"])
            if known is not None and authwit.get("witness") == [known[1]]:
                intents.add(known[0])
        return frozenset(intents)

    # --- the tx book ------------------------------------------------------------------------

    def submit(self, tx: Tx) -> str:
        self.txs[tx.hash] = tx
        self.pending.append(tx)
        return tx.hash

    def take_batch(self, batch: list[Tx]) -> int:
        """Opens the next block with `batch` (pending txs, in order) leaving the pending list."""
        self.block_number += 1
        mining = {id(tx) for tx in batch}
        self.pending = [tx for tx in self.pending if id(tx) not in mining]
        for tx in batch:
            tx.block_number = self.block_number
        return self.block_number

    def tx_book(self) -> list[dict[str, Any]]:
        """Every tx this PXE accepted, in order: its receipt, sender and calls (what a block explorer shows)."""
        return [{**tx.receipt(), "from": tx.sender, "calls": [{"name": c.name, "to": c.to} for c in tx.calls]}
                for tx in self.txs.values()]

    def receipt(self, tx_hash: str) -> dict[str, Any]:
        tx = self.txs.get(tx_hash)
        return tx.receipt() if tx else {"txHash": tx_hash, "status": "dropped"}
