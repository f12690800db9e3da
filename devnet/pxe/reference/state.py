"""Everything the development PXE knows in `reference` mode, in memory: the protocol's tokens, pools and
escrows, built here (deployments and borrowers' transactions are not simulated).

Accounts, contracts, senders, authwits and the tx book are PxeCore's (devnet/pxe/core.py), the reads
ReferenceReads' (reads.py), the transactions Transactions' (transactions.py). Operations take typed,
already-validated values; the server turns JSON-RPC params into them. Nothing here persists.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from devnet.pxe.derivation import derive, derive_field, public_keys_hash
from devnet.pxe.protocol_state import ProtocolState
from devnet.pxe.reference import contracts as protocol
from devnet.pxe.reference.contracts import CollateralNote, Escrow, LoanNote, Pool, Token
from devnet.pxe.reference.reads import ReferenceReads
from devnet.pxe.reference.transactions import Transactions
from devnet.pxe.rpc_errors import InvalidInput
from shared.pxe.fields import symbol_to_field, to_field

ESCROW_CLASS_ID = "escrow"


class ReferenceState(ReferenceReads, Transactions, ProtocolState):
    def __init__(self, salt: str | None = None, *, require_senders: bool = False) -> None:
        super().__init__(salt, require_senders=require_senders)
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
        return self.escrow_record(address, derive_field("borrower", address), pool, secret_key, instance, registered)

    def set_position(self, escrow: str, collateral: int, principal: int, loan_epoch: int) -> None:
        current = self.require_escrow(escrow)
        current.collateral = replace(current.collateral, amount=collateral, randomness=derive("randomness", escrow, next(self._counter)))
        current.loan = replace(
            current.loan, principal=principal, epoch=loan_epoch, randomness=derive("randomness", escrow, next(self._counter))
        )
        self.wrote_notes(escrow)

    @staticmethod
    def default_loan_epoch(now: int) -> int:
        return protocol.current_epoch_end(now)

    def list_escrows(self) -> list[dict[str, Any]]:
        """Escrow addresses, owners and assets, never their keys (dev_listEscrows)."""
        out = []
        for escrow in self.escrows.values():
            pool = self.pools[escrow.pool]
            out.append({
                "address": escrow.address, "owner": self.escrow_keys[escrow.address].owner, "pool": escrow.pool,
                "collateralAsset": self.tokens[pool.collateral_token].symbol,
                "debtAsset": self.tokens[pool.debt_token].symbol,
                "registered": escrow.address in self.readable,
            })
        return out

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
