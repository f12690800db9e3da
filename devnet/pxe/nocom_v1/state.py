"""Everything the development PXE knows in `nocom-v1` mode, in memory: PxeCore's accounts, contracts,
senders, authwits and txs, plus nocom-v1's contracts (tokens, a MockPriceFeed, lending pools, escrows);
their reads are NocomReads' (reads.py), their transactions NocomTransactions' (transactions.py).

World building here stands in for deployments and for the borrowers' own transactions (supply,
borrow), which the dev PXE does not simulate: an escrow is created holding its collateral tokens,
with its notes written as the pool's borrow_private writes them.
"""

from __future__ import annotations

import secrets
from typing import Any

from devnet.pxe.derivation import derive, derive_field, public_keys_hash
from devnet.pxe.nocom_v1 import contracts as noir
from devnet.pxe.nocom_v1.reads import NocomReads
from devnet.pxe.nocom_v1.transactions import NocomTransactions
from devnet.pxe.nocom_v1.world import (
    EscrowConfigNote,
    LendingPool,
    NocomEscrow,
    NocomToken,
    PoolConfig,
    PriceFeed,
    World,
    field_compressed_string,
)
from devnet.pxe.notes import CollateralNote, LoanNote
from devnet.pxe.protocol_state import ProtocolState
from devnet.pxe.rpc_errors import InvalidInput
from shared.pxe.fields import to_field

U128_LIMIT = 1 << 128


def default_loan_epoch(now: int) -> int:
    """The epoch lending_pool's borrow_private writes into a loan note: next_epoch - 1."""
    return noir.get_next_epoch(now) - 1


class NocomState(NocomReads, NocomTransactions, ProtocolState):
    def __init__(self, salt: str | None = None, *, require_senders: bool = False) -> None:
        super().__init__(salt, require_senders=require_senders)
        self.world = World()

    # --- deployments -----------------------------------------------------------------------

    def create_token(self, symbol: str, name: str | None = None, decimals: int = 18) -> str:
        for text in (symbol, name or symbol):
            try:
                field_compressed_string(text)
            except ValueError as exc:
                raise InvalidInput(str(exc)) from None
        if not 0 <= decimals <= 255:
            raise InvalidInput("decimals must fit u8")
        address = self._fresh("nocom-token", symbol)
        self.world.tokens[address] = NocomToken(address, symbol, name or symbol, decimals)
        return address

    def create_feed(self, admin_secret_key: str | None = None) -> dict[str, str]:
        """A MockPriceFeed whose admin is an account of this PXE (its key returned: development only)."""
        secret_key = admin_secret_key or to_field(secrets.randbits(250))
        admin = self.register_account(secret_key)
        address = self._fresh("nocom-feed", admin)
        self.world.feeds[address] = PriceFeed(address, admin)
        return {"address": address, "admin": admin, "adminSecretKey": secret_key}

    def create_pool(self, collateral_token: str, loaned_token: str, max_ltv: int, liquidation_threshold: int, feed: str,
                    admin: str | None = None, treasury: str | None = None) -> str:
        for token in (collateral_token, loaned_token):
            self.require_token(token)
        if collateral_token == loaned_token:
            raise InvalidInput("Collateral and debt tokens must differ")
        for name, value in (("maxLtv", max_ltv), ("liquidationThreshold", liquidation_threshold)):
            if not 0 < value <= noir.LTV_THRESHOLD:
                raise InvalidInput(f"{name} must be between 1 and {noir.LTV_THRESHOLD} (base 10^5: 80000 = 80 %)")
        price_feed = self.require_feed(feed)
        pool_admin = admin or price_feed.admin  # deploy.ts: one admin for feed and pools, the treasury too
        config = PoolConfig(pool_admin, 0, 0, feed, treasury or pool_admin, collateral_token, loaned_token, max_ltv,
                            liquidation_threshold)
        address = self._fresh("nocom-pool", collateral_token, loaned_token)
        self.world.pools[address] = LendingPool(address, config)
        return address

    def create_escrow(self, pool: str, collateral: int, principal: int, loan_epoch: int, registered: bool) -> dict[str, Any]:
        config = self.require_pool(pool).config
        secret_key = to_field(secrets.randbits(250))
        address = self._fresh("nocom-escrow", pool)
        instance = {
            "address": address, "version": 1, "salt": self._fresh("salt"), "deployer": to_field(0),
            "contractClassId": derive_field("nocom-escrow"), "initializationHash": derive_field("init", pool),
            "publicKeysHash": public_keys_hash(secret_key),
        }
        owner, randomness = derive_field("borrower", address), derive("config-randomness", address)
        note = EscrowConfigNote(owner, derive("holder-commitment", owner, randomness), pool, config.collateral_token_address,
                                config.loaned_token_address, randomness)
        self.world.escrows[address] = NocomEscrow(
            address, note, CollateralNote(address, derive("randomness", address, 0), 0), LoanNote(address, derive("randomness", address, 1), 0, 0)
        )
        record = self.escrow_record(address, owner, pool, secret_key, instance, registered)
        self.set_position(address, collateral, principal, loan_epoch)
        return record

    # --- positions, balances and prices ----------------------------------------------------------

    def set_position(self, escrow: str, collateral: int, principal: int, loan_epoch: int) -> None:
        """New notes; the escrow holds exactly its collateral, and the pool's total_borrowed follows the principal."""
        for name, value in (("collateralAmount", collateral), ("loanPrincipal", principal)):
            if value >= U128_LIMIT:
                raise InvalidInput(f"{name} must fit u128")
        current = self.require_escrow(escrow)
        pool = self.world.pools[current.config.pool]
        pool.total_borrowed = max(0, pool.total_borrowed - current.loan.principal + principal)
        current.collateral = CollateralNote(escrow, derive("randomness", escrow, next(self._counter)), collateral)
        current.loan = LoanNote(escrow, derive("randomness", escrow, next(self._counter)), principal, loan_epoch)
        self.world.tokens[current.config.collateral_token_address].private_balances[escrow] = collateral
        self.wrote_notes(escrow)

    def position(self, escrow: str) -> dict[str, Any]:
        current = self.require_escrow(escrow)
        return {
            "escrow": escrow, "pool": current.config.pool, "collateralAmount": str(current.collateral.amount),
            "loanPrincipal": str(current.loan.principal), "loanEpoch": current.loan.epoch,
        }

    @staticmethod
    def default_loan_epoch(now: int) -> int:
        return default_loan_epoch(now)

    def list_escrows(self) -> list[dict[str, Any]]:
        """Escrow addresses, owners and assets, never their keys (dev_listEscrows)."""
        tokens = self.world.tokens
        return [{
            "address": escrow.address, "owner": escrow.config.owner, "pool": escrow.config.pool,
            "collateralAsset": tokens[escrow.config.collateral_token_address].symbol,
            "debtAsset": tokens[escrow.config.loaned_token_address].symbol,
            "registered": escrow.address in self.readable,
        } for escrow in self.world.escrows.values()]

    def mint(self, token: str, owner: str, amount: int) -> None:
        balances = self.require_token(token).private_balances
        if balances.get(owner, 0) + amount >= U128_LIMIT:
            raise InvalidInput("the balance must fit u128")
        balances[owner] = balances.get(owner, 0) + amount

    def set_feed_prices(self, feed: str, prices: dict[str, int]) -> None:
        """A dev shortcut past set_prices: no admin, no tx, effective at once."""
        price_feed = self.require_feed(feed)
        for asset, price in prices.items():
            self.require_token(asset)
            if price >= U128_LIMIT:
                raise InvalidInput("a price must fit u128")
        price_feed.assets.update(prices)

    def token_by_symbol(self, symbol: str) -> str:
        found = [a for a, token in self.world.tokens.items() if token.symbol == symbol]
        if len(found) != 1:
            raise InvalidInput(f"{len(found)} tokens have the symbol {symbol!r}: use the token's address")
        return found[0]

    def require_token(self, address: str) -> NocomToken:
        return _require(self.world.tokens, address, "token")

    def require_feed(self, address: str) -> PriceFeed:
        return _require(self.world.feeds, address, "price feed")

    def require_pool(self, address: str) -> LendingPool:
        return _require(self.world.pools, address, "pool")

    def require_escrow(self, address: str) -> NocomEscrow:
        return _require(self.world.escrows, address, "escrow")


def _require(table: dict[str, Any], address: str, what: str) -> Any:
    if address not in table:
        raise InvalidInput(f"Unknown {what} {address}")
    return table[address]
