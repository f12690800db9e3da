"""The reference protocol's reads: utility functions (pxe_simulateUtility), the absent public views
(pxe_simulateView), the note store (pxe_getNotes) and public storage (node_getPublicStorageAt)."""

from __future__ import annotations

from devnet.pxe.core import PxeCore
from devnet.pxe.derivation import derive_field
from devnet.pxe.notes import ESCROW_CONFIG_SLOT, Note, pool_notes
from devnet.pxe.reference.contracts import Escrow, Pool, Token
from devnet.pxe.rpc_errors import ExecutionError, InvalidInput
from shared.pxe.fields import symbol_to_field, to_field

ESCROW_UTILITIES = frozenset({"sync_private_state", "get_config"})
POOL_UTILITIES = frozenset({"get_config", "get_collateral_and_debt"})
TOKEN_UTILITIES = frozenset({"get_symbol", "balance_of_private"})


class ReferenceReads(PxeCore):
    """Reads over the fields ReferenceState.__init__ creates."""

    tokens: dict[str, Token]
    pools: dict[str, Pool]
    escrows: dict[str, Escrow]

    # --- utility functions (pxe_simulateUtility) ----------------------------------------------

    def simulate_utility(self, function: str, args: list[int], to: str) -> list[int]:
        if to in self.escrows:
            return self._escrow_utility(function, args, self.escrows[to])
        if to in self.pools:
            return self._pool_utility(function, args, self.pools[to])
        if to in self.tokens:
            return self._token_utility(function, args, self.tokens[to])
        raise ExecutionError(f"No contract instance found for address {to}")

    def simulate_view(self, function: str, args: list[int], to: str) -> list[int]:
        """pxe_simulateView: the reference contracts (docs/pxe-jsonrpc.md) have no public #[view] function, so
        this answers what a gateway answers for them: a utility function is named as one, others are unknown."""
        kinds = ((self.escrows, ESCROW_UTILITIES), (self.pools, POOL_UTILITIES), (self.tokens, TOKEN_UTILITIES))
        utilities = next((names for table, names in kinds if to in table), None)
        if utilities is None:
            raise ExecutionError(f"No contract instance found for address {to}")
        if function in utilities:
            raise InvalidInput(f"{function} is a utility function; pxe_simulateView runs public #[view] functions "
                               "(utility functions: pxe_simulateUtility)")
        raise ExecutionError(f"Unknown function {function}")

    def _escrow_utility(self, function: str, args: list[int], escrow: Escrow) -> list[int]:
        if function == "sync_private_state":
            _arity(function, args, 0)
            return []
        if function == "get_config":
            _arity(function, args, 0)
            if self.require_senders:  # as on a real PXE, where the config is a note that must be found
                self._require_notes(escrow.address)
            return [int(escrow.pool, 16)]
        raise ExecutionError(f"Unknown function {function}")

    def _pool_utility(self, function: str, args: list[int], pool: Pool) -> list[int]:
        if function == "get_config":
            _arity(function, args, 0)
            return [int(pool.collateral_token, 16), int(pool.debt_token, 16), pool.max_ltv_bps, pool.liquidation_threshold_bps]
        if function == "get_collateral_and_debt":
            _arity(function, args, 1)
            escrow = self.escrows.get(to_field(args[0]))
            if escrow is None or escrow.pool != pool.address:
                raise ExecutionError("Escrow not found in this pool")
            self._require_notes(escrow.address, pool.address)
            c, loan = escrow.collateral, escrow.loan
            return [int(c.owner, 16), c.randomness, c.amount, int(loan.owner, 16), loan.randomness, loan.principal, loan.epoch]
        raise ExecutionError(f"Unknown function {function}")

    def _token_utility(self, function: str, args: list[int], token: Token) -> list[int]:
        if function == "get_symbol":
            _arity(function, args, 0)
            return [int(symbol_to_field(token.symbol), 16)]
        if function == "balance_of_private":
            _arity(function, args, 1)
            return [token.balance_of_private(to_field(args[0]))]
        raise ExecutionError(f"Unknown function {function}")


    def _require_notes(self, escrow: str, contract: str | None = None) -> None:
        problem = self.notes_problem(escrow, contract)
        if problem is not None:
            raise ExecutionError(problem)

    # --- the note store (pxe_getNotes) and public storage (node_getPublicStorageAt) ----------------

    def contract_notes(self, contract: str, scopes: set[str] | None) -> list[Note]:
        """The notes of `contract` this PXE can read; `scopes` keeps those of these recipients."""
        if contract in self.escrows:
            wanted = scopes is None or contract in scopes
            if not wanted or self.notes_problem(contract) is not None:
                return []
            keys = self.escrow_keys[contract]
            return [Note(contract, ESCROW_CONFIG_SLOT, contract, (int(self.escrows[contract].pool, 16),),
                         derive_field("deployment", contract, keys.owner))]
        if contract in self.pools:
            if scopes is None:
                members = [e for e in self.escrows.values() if e.pool == contract]
            else:
                members = [self.escrows[a] for a in sorted(scopes) if a in self.escrows and self.escrows[a].pool == contract]
            return [note for e in members if self.notes_problem(e.address) is None
                    for note in pool_notes(self.map_slots, contract, e.address, e.collateral, e.loan, self.note_txs[e.address])]
        if contract in self.tokens:
            return []  # balance notes are not kept as notes here
        raise ExecutionError(f"No contract instance found for address {contract}")

    def public_storage_at(self, contract: str, slot: int) -> int:
        """The reference contracts keep no public storage here: their prices live on the EVM."""
        return 0


def _arity(function: str, args: list[int], expected: int) -> None:
    if len(args) != expected:
        raise InvalidInput(f"{function} takes {expected} argument(s), got {len(args)}")
