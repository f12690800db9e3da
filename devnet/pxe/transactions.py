"""The transaction side of the development PXE's state: authwits, txs, their simulation and blocks.

A tx runs against copies of what it touches (Scratch), so a revert anywhere leaves the state as
it was; a block re-runs each pending tx against the state as it then is and commits the ones
that pass. `Transactions` is mixed into DevPxeState (state.py), which owns the fields it reads.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, MutableSet
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from devnet.pxe import protocol
from devnet.pxe.derivation import derive, derive_field
from devnet.pxe.protocol import AuthwitIntent, Escrow, Pool, Revert, Token
from devnet.pxe.rpc_errors import NOTES_UNKNOWN, ExecutionError, InvalidInput


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


@dataclass
class Scratch:
    """Copies of what one tx touches, so a revert anywhere leaves the state untouched."""

    escrows: dict[str, Escrow] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    consumed: OverlaySet | None = None


class Transactions:
    """Authwits and transactions over the fields DevPxeState.__init__ creates."""

    block_number: int
    tokens: dict[str, Token]
    pools: dict[str, Pool]
    escrows: dict[str, Escrow]
    readable: set[str]
    authwits: dict[str, tuple[AuthwitIntent, str]]  # request hash -> (intent, witness)
    consumed: set[AuthwitIntent]
    txs: dict[str, Tx]
    pending: list[Tx]

    if TYPE_CHECKING:  # provided by DevPxeState
        def require_account(self, address: str) -> str: ...
        def _fresh(self, kind: str, *parts: object) -> str: ...

    def create_authwit(self, on_behalf_of: str, caller: str, call: ContractCall) -> dict[str, Any]:
        secret_key = self.require_account(on_behalf_of)
        intent = AuthwitIntent(on_behalf_of, caller, call.name, call.to, call.args)
        request_hash = derive_field("authwit-request", on_behalf_of, caller, call.name, call.to, *call.args)
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

    def new_tx(self, sender: str, calls: tuple[ContractCall, ...], authwits: frozenset[AuthwitIntent]) -> Tx:
        self.require_account(sender)
        for call in calls:
            self._tx_target(call)
        return Tx(hash=self._fresh("tx", sender), sender=sender, calls=calls, authwits=authwits)

    def price_symbols(self, tx: Tx) -> set[str]:
        symbols = set()
        for call in tx.calls:
            pool = self.pools[self.escrows[call.to].pool]
            symbols.update((self.tokens[pool.collateral_token].symbol, self.tokens[pool.debt_token].symbol))
        return symbols

    def simulate_tx(self, tx: Tx, prices: dict[str, int], now: int) -> None:
        """Runs the tx against copies; raises ExecutionError with the revert reason."""
        try:
            self._execute(tx, prices, now)
        except Revert as exc:
            raise ExecutionError(exc.reason) from None

    def submit(self, tx: Tx) -> str:
        self.txs[tx.hash] = tx
        self.pending.append(tx)
        return tx.hash

    def seal_block(self, batch: list[Tx], prices: dict[str, int], now: int) -> int:
        """Mines `batch` (pending txs, in order), each re-validated against the state as it then is."""
        self.block_number += 1
        mining = {id(tx) for tx in batch}
        self.pending = [tx for tx in self.pending if id(tx) not in mining]
        for tx in batch:
            tx.block_number = self.block_number
            try:
                scratch = self._execute(tx, prices, now)
            except Revert as exc:
                tx.status, tx.error = "reverted", exc.reason
                continue
            self._commit(scratch)
            tx.status = "success"
        return self.block_number

    def receipt(self, tx_hash: str) -> dict[str, Any]:
        tx = self.txs.get(tx_hash)
        return tx.receipt() if tx else {"txHash": tx_hash, "status": "dropped"}

    def _tx_target(self, call: ContractCall) -> Escrow:
        escrow = self.escrows.get(call.to)
        if escrow is None:
            raise ExecutionError(f"No contract instance found for address {call.to}")
        if call.name != "liquidate":
            raise ExecutionError(f"Unknown function {call.name}")
        if len(call.args) != 4:
            raise InvalidInput("liquidate takes 4 arguments: repayAmount, nonce, collateralPrice, debtPrice")
        return escrow

    def _execute(self, tx: Tx, prices: dict[str, int], now: int) -> Scratch:
        scratch = Scratch(consumed=OverlaySet(self.consumed))
        for call in tx.calls:
            self._tx_target(call)
            if call.to not in self.readable:
                raise Revert(NOTES_UNKNOWN)
            escrow = scratch.escrows.get(call.to) or replace(self.escrows[call.to])
            scratch.escrows[call.to] = escrow
            pool = self.pools[escrow.pool]
            tokens = {}
            for address in (pool.collateral_token, pool.debt_token):
                original = self.tokens[address]
                tokens[address] = scratch.tokens.get(address) or Token(
                    original.address, original.symbol, dict(original.private_balances), dict(original.public_balances)
                )
                scratch.tokens[address] = tokens[address]
            repay, nonce, collateral_price, debt_price = call.args
            protocol.liquidate(
                escrow, pool, tokens, tx.sender, repay, nonce, collateral_price, debt_price,
                prices, tx.authwits, scratch.consumed, now, fresh_randomness=derive("randomness", tx.hash, call.to),
            )
        return scratch

    def _commit(self, scratch: Scratch) -> None:
        self.escrows.update(scratch.escrows)
        self.tokens.update(scratch.tokens)
        if scratch.consumed is not None:
            self.consumed |= scratch.consumed.added
