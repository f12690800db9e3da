"""The transaction side of the development PXE's reference state: txs, their simulation and blocks.

A tx runs against copies of what it touches (Scratch), so a revert anywhere leaves the state as
it was; a block re-runs each pending tx against the state as it then is and commits the ones
that pass. A tx's calls run in order and it reverts as a whole if one reverts, as Aztec's do, so several
liquidations can share one tx. Accounts, authwits and the tx book are PxeCore's (devnet/pxe/core.py);
ReferenceState (state.py) owns the protocol's fields read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from devnet.pxe.core import AuthwitIntent, ContractCall, OverlaySet, PxeCore, Tx
from devnet.pxe.derivation import derive
from devnet.pxe.reference import contracts as protocol
from devnet.pxe.reference.contracts import Escrow, Pool, Revert, Token
from devnet.pxe.rpc_errors import ExecutionError, InvalidInput

__all__ = ["Scratch", "Transactions"]


@dataclass
class Scratch:
    """Copies of what one tx touches, so a revert anywhere leaves the state untouched."""

    escrows: dict[str, Escrow] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    consumed: OverlaySet | None = None


class Transactions(PxeCore):
    """Reference-protocol transactions over the fields PxeCore and ReferenceState.__init__ create."""

    tokens: dict[str, Token]
    pools: dict[str, Pool]
    escrows: dict[str, Escrow]

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

    def seal_block(self, batch: list[Tx], prices: dict[str, int], now: int) -> int:
        """Mines `batch` (pending txs, in order), each re-validated against the state as it then is."""
        self.take_batch(batch)
        for tx in batch:
            try:
                scratch = self._execute(tx, prices, now)
            except Revert as exc:
                tx.status, tx.error = "reverted", exc.reason
                continue
            self._commit(scratch)
            for escrow in scratch.escrows:
                self.wrote_notes(escrow, tx.hash)
            tx.status = "success"
        return self.block_number

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
            problem = self.notes_problem(call.to)
            if problem is not None:  # the escrow's notes cannot be proven without its keys (and found without its senders)
                raise Revert(problem)
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
