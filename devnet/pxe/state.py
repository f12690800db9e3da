"""Everything the development PXE knows, in memory: accounts, contracts, notes, authwits, txs, blocks.

This module holds the reference protocol's world and its utility reads; accounts, contracts,
authwits and the tx book are PxeCore's (core.py), the reference transactions Transactions' (transactions.py).
Operations take typed, already-validated values; server.py turns JSON-RPC params into them.
Nothing here persists: a restarted process starts empty.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from devnet.pxe import protocol
from devnet.pxe.core import EscrowKeys
from devnet.pxe.derivation import derive, derive_field, public_keys_hash
from devnet.pxe.protocol import CollateralNote, Escrow, LoanNote, Pool, Token
from devnet.pxe.rpc_errors import NOTES_UNKNOWN, ExecutionError, InvalidInput
from devnet.pxe.transactions import Transactions
from shared.pxe.fields import symbol_to_field, to_field

ESCROW_CLASS_ID = "escrow"
ESCROW_UTILITIES = frozenset({"sync_private_state", "get_config"})
POOL_UTILITIES = frozenset({"get_config", "get_collateral_and_debt"})
TOKEN_UTILITIES = frozenset({"get_symbol", "balance_of_private"})


class DevPxeState(Transactions):
    def __init__(self, salt: str | None = None) -> None:
        super().__init__(salt)
        self.tokens: dict[str, Token] = {}
        self.pools: dict[str, Pool] = {}
        self.escrows: dict[str, Escrow] = {}

    # --- admin: building the protocol's world -------------------------------------------------

    def create_token(self, symbol: str) -> str:
        symbol_to_field(symbol)  # must fit a field
        address = self._fresh("token", symbol)
        self.tokens[address] = Token(address=address, symbol=symbol)
        return address

    def create_pool(self, collateral_token: str, debt_token: str, max_ltv_bps: int, threshold_bps: int) -> str:
        for token in (collateral_token, debt_token):
            if token not in self.tokens:
                raise InvalidInput(f"Unknown token {token}")
        if collateral_token == debt_token:
            raise InvalidInput("Collateral and debt tokens must differ")
        for name, bps in (("maxLtvBps", max_ltv_bps), ("liquidationThresholdBps", threshold_bps)):
            if not 0 < bps <= protocol.MAX_BPS:
                raise InvalidInput(f"{name} must be between 1 and {protocol.MAX_BPS}")
        address = self._fresh("pool", collateral_token, debt_token)
        self.pools[address] = Pool(address, collateral_token, debt_token, max_ltv_bps, threshold_bps)
        return address

    def create_escrow(
        self, pool: str, collateral: int, principal: int, loan_epoch: int, registered: bool
    ) -> dict[str, Any]:
        self.require_pool(pool)
        secret_key = to_field(secrets.randbits(250))
        address = self._fresh("escrow", pool)
        instance = {
            "address": address,
            "version": 1,
            "salt": self._fresh("salt"),
            "deployer": to_field(0),
            "contractClassId": derive_field(ESCROW_CLASS_ID),
            "initializationHash": derive_field("init", pool),
            "publicKeysHash": public_keys_hash(secret_key),
        }
        self.escrows[address] = Escrow(
            address=address,
            pool=pool,
            collateral=CollateralNote(address, derive("randomness", address, 0), collateral),
            loan=LoanNote(address, derive("randomness", address, 1), principal, loan_epoch),
        )
        self.escrow_keys[address] = EscrowKeys(secret_key, instance)
        if registered:
            self.readable.add(address)
            self.contracts[address] = instance
        return {"address": address, "secretKey": secret_key, "instance": dict(instance)}

    def set_position(self, escrow: str, collateral: int, principal: int, loan_epoch: int) -> None:
        current = self.require_escrow(escrow)
        current.collateral = replace(current.collateral, amount=collateral, randomness=derive("randomness", escrow, next(self._counter)))
        current.loan = replace(
            current.loan, principal=principal, epoch=loan_epoch, randomness=derive("randomness", escrow, next(self._counter))
        )

    def position(self, escrow: str) -> dict[str, Any]:
        current = self.require_escrow(escrow)
        return {
            "escrow": escrow,
            "pool": current.pool,
            "collateralAmount": str(current.collateral.amount),
            "loanPrincipal": str(current.loan.principal),
            "loanEpoch": current.loan.epoch,
        }

    def mint(self, token: str, owner: str, amount: int) -> None:
        self.require_token(token).mint_private(owner, amount)

    def require_token(self, address: str) -> Token:
        if address not in self.tokens:
            raise InvalidInput(f"Unknown token {address}")
        return self.tokens[address]

    def require_pool(self, address: str) -> Pool:
        if address not in self.pools:
            raise InvalidInput(f"Unknown pool {address}")
        return self.pools[address]

    def require_escrow(self, address: str) -> Escrow:
        if address not in self.escrows:
            raise InvalidInput(f"Unknown escrow {address}")
        return self.escrows[address]

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
        """pxe_simulateView: the reference contracts (SPEC section 6) have no public #[view] function, so
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
            if escrow.address not in self.readable:
                raise ExecutionError(NOTES_UNKNOWN)
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


def _arity(function: str, args: list[int], expected: int) -> None:
    if len(args) != expected:
        raise InvalidInput(f"{function} takes {expected} argument(s), got {len(args)}")
