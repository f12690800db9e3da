"""What the development PXE does the same way under every protocol: accounts, contract registration,
registered senders, which escrows' notes it can read, authwits, and the tx book (txs.py).

A protocol's state (reference/state.py, nocom_v1/state.py) builds on PxeCore and adds its own
contracts, reads and transaction rules.
"""

from __future__ import annotations

import hmac
import itertools
import secrets
from collections.abc import Iterator, MutableSet
from dataclasses import dataclass
from typing import Any

from devnet.pxe.derivation import account_address, derive_field
from devnet.pxe.notes import MapSlots
from devnet.pxe.rpc_errors import NOTES_UNKNOWN, InvalidInput
from devnet.pxe.txs import ContractCall, Tx, TxBook

__all__ = ["AuthwitIntent", "ContractCall", "EscrowKeys", "OverlaySet", "PxeCore", "Tx", "authwit_request_hash"]


@dataclass(frozen=True)
class AuthwitIntent:
    """`on_behalf_of` lets `caller` make `call` once; consumed by emitting its nullifier."""

    on_behalf_of: str
    caller: str
    name: str
    to: str
    args: tuple[int, ...]


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
    """What this PXE made an escrow with: its key and instance, and the two senders of its notes."""

    secret_key: str
    instance: dict[str, Any]
    owner: str  # the borrower's account: sends the escrow's config note
    pool: str  # sends the escrow's collateral and loan notes


class PxeCore(TxBook):
    """Accounts, registered contracts and senders, authwits and the tx book: the parts no protocol changes."""

    def __init__(self, salt: str | None = None, *, require_senders: bool = False) -> None:
        super().__init__()
        self.accounts: dict[str, str] = {}  # address -> secret key
        self.escrow_keys: dict[str, EscrowKeys] = {}
        self.readable: set[str] = set()  # escrows whose notes this PXE can decrypt
        self.contracts: dict[str, dict[str, Any]] = {}  # registered instances
        self.senders: set[str] = set()  # pxe_registerSender
        self.require_senders = require_senders  # notes are found only once their senders are registered
        self.note_txs: dict[str, str] = {}  # escrow -> the tx that last wrote its pool notes
        self.map_slots = MapSlots()
        self.authwits: dict[str, tuple[AuthwitIntent, str]] = {}  # request hash -> (intent, witness)
        self.consumed: set[AuthwitIntent] = set()
        self._counter = itertools.count(1)
        # Unique addresses per process; a given salt makes them repeatable: two dev PXEs with one salt,
        # built alike, hold the same escrows (note-monitor replicas, one PXE each: issue 14).
        self._salt = salt or secrets.token_hex(16)

    def _fresh(self, kind: str, *parts: object) -> str:
        return derive_field(kind, self._salt, next(self._counter), *parts)

    # --- accounts, contracts and senders ---------------------------------------------------

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

    def register_sender(self, address: str) -> None:
        self.senders.add(address)

    def require_account(self, address: str) -> str:
        if address not in self.accounts:
            raise InvalidInput(f"Unknown account {address}: register it with pxe_registerAccount")
        return self.accounts[address]

    def escrow_record(self, escrow: str, owner: str, pool: str, secret_key: str, instance: dict[str, Any],
                      registered: bool) -> dict[str, Any]:
        """Remembers a new escrow's keys and senders; `registered` registers it with its key at once."""
        self.escrow_keys[escrow] = EscrowKeys(secret_key, instance, owner, pool)
        self.wrote_notes(escrow)
        if registered:
            self.readable.add(escrow)
            self.contracts[escrow] = instance
        return {"address": escrow, "owner": owner, "secretKey": secret_key, "instance": dict(instance)}

    # --- what this PXE can read --------------------------------------------------------------

    def notes_problem(self, escrow: str, contract: str | None = None) -> str | None:
        """Why this PXE cannot read an escrow's notes (in `contract`, the escrow unless said), or None."""
        if escrow not in self.readable:
            return NOTES_UNKNOWN
        keys = self.escrow_keys[escrow]
        unknown = [f"{name} {address}" for name, address in (("owner", keys.owner), ("pool", keys.pool))
                   if address not in self.senders]
        if self.require_senders and unknown:
            whose = "" if contract in (None, escrow) else f" (the notes of escrow {escrow})"
            return (f"No note found for {contract or escrow}{whose}: its senders are not registered "
                    f"({', '.join(unknown)}; pxe_registerSender)")
        return None

    def wrote_notes(self, escrow: str, tx_hash: str | None = None) -> None:
        """The escrow's pool notes were replaced, by a tx or (without one) by a dev_* shortcut."""
        self.note_txs[escrow] = tx_hash or self._fresh("note-write", escrow)

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
