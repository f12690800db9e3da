"""Everything the development PXE knows, in memory: accounts, contracts, notes, authwits, txs, blocks.

Operations take typed, already-validated values; server.py turns JSON-RPC params into them.
Nothing here persists: a restarted process starts empty.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
from collections.abc import Iterator, MutableSet
from dataclasses import dataclass, field, replace
from typing import Any

from devnet.pxe import protocol
from devnet.pxe.protocol import AuthwitIntent, CollateralNote, Escrow, LoanNote, Pool, Revert, Token
from shared.pxe.fields import symbol_to_field, to_field

INVALID_INPUT = -32701
EXECUTION_ERROR = -32702
METHOD_NOT_FOUND = -32601

NOTES_UNKNOWN = "Escrow notes unknown: register the escrow with its secret key"
ESCROW_CLASS_ID = "escrow"


class RpcError(Exception):
    code = EXECUTION_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(RpcError):
    code = INVALID_INPUT


class ExecutionError(RpcError):
    code = EXECUTION_ERROR


class MethodNotFound(RpcError):
    code = METHOD_NOT_FOUND


def derive(*parts: object) -> int:
    """A deterministic field element (253 bits) standing in for Aztec's Poseidon-derived values."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest, "big") >> 3


def derive_field(*parts: object) -> str:
    return to_field(derive(*parts))


def account_address(secret_key: str) -> str:
    return derive_field("account", secret_key)


def public_keys_hash(secret_key: str) -> str:
    return derive_field("public-keys", secret_key)


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


@dataclass
class EscrowKeys:
    secret_key: str
    instance: dict[str, Any]


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


class DevPxeState:
    def __init__(self) -> None:
        self.block_number = 1
        self.accounts: dict[str, str] = {}  # address -> secret key
        self.tokens: dict[str, Token] = {}
        self.pools: dict[str, Pool] = {}
        self.escrows: dict[str, Escrow] = {}
        self.escrow_keys: dict[str, EscrowKeys] = {}
        self.readable: set[str] = set()  # escrows whose notes this PXE can decrypt
        self.contracts: dict[str, dict[str, Any]] = {}  # registered instances
        self.authwits: dict[str, tuple[AuthwitIntent, str]] = {}  # request hash -> (intent, witness)
        self.consumed: set[AuthwitIntent] = set()
        self.txs: dict[str, Tx] = {}
        self.pending: list[Tx] = []
        self._counter = itertools.count(1)
        self._salt = secrets.token_hex(16)  # unique addresses per process

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

    # --- authwits and transactions --------------------------------------------------------------

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


def _arity(function: str, args: list[int], expected: int) -> None:
    if len(args) != expected:
        raise InvalidInput(f"{function} takes {expected} argument(s), got {len(args)}")
