"""nocom-v1's state-changing functions, each a transcription of the Noir function named beside it,
run against a transaction's copies of the world (TxScratch).

Aztec runs a transaction in two phases: every private function first (the liquidator's PXE proves
them against an anchor block), then the public functions they enqueued, in order, at the block.
`CallContext.enqueue` collects the public part; a failure in either phase aborts the whole tx.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from devnet.pxe.core import AuthwitIntent, authwit_request_hash
from devnet.pxe.nocom_v1 import contracts as noir
from devnet.pxe.nocom_v1.contracts import NoirAbort, add, require, sub
from devnet.pxe.nocom_v1.world import TxScratch, address_field
from devnet.pxe.notes import CollateralNote, LoanNote

BALANCE_TOO_LOW = "Balance too low"  # aztec-standards Token: _subtract_balance
ONLY_ADMIN_SETS_PRICES = "Only admin can set prices"
ONLY_ADMIN_CHANGES_ADMIN = "Only admin can change admin"
AUTHWIT_USED = "Existing nullifier: the authwit was already used"


@dataclass
class CallContext:
    scratch: TxScratch
    sender: str  # the account the tx is sent from: msg_sender of the calls it makes
    anchor_timestamp: int  # the block the private part is proven against
    authwits: frozenset[AuthwitIntent]
    fresh_randomness: Callable[[], int]
    public_calls: list[Callable[[], None]] = field(default_factory=list)

    def enqueue(self, call: Callable[[], None]) -> None:
        self.public_calls.append(call)


# --- private_escrow/src/main.nr ------------------------------------------------------------

def escrow_liquidate(ctx: CallContext, escrow_address: str, amount: int, liquidation_authwit_nonce: int,
                     asserted_collateral_token_price: int, asserted_debt_token_price: int) -> None:
    """NocomEscrowV1::liquidate: anyone holding the escrow's keys may call it (no assert_holder)."""
    config = ctx.scratch.escrow(escrow_address).config
    caller = ctx.sender
    liquidator_collateral_amount, protocol_fee, treasury_address = pool_liquidate_private(
        ctx, config.pool, escrow_address, amount, caller, liquidation_authwit_nonce,
        asserted_collateral_token_price, asserted_debt_token_price,
    )
    collateral = config.collateral_token_address
    token_transfer_private_to_private(ctx, collateral, escrow_address, escrow_address, caller, liquidator_collateral_amount, 0)
    token_transfer_private_to_private(ctx, collateral, escrow_address, escrow_address, treasury_address, protocol_fee, 0)


# --- lending_pool/src/main.nr --------------------------------------------------------------

def pool_liquidate_private(ctx: CallContext, pool_address: str, msg_sender: str, amount_to_repay: int, liquidator_address: str,
                           liquidation_authwit_nonce: int, asserted_collateral_token_price: int,
                           asserted_loaned_token_price: int) -> tuple[int, int, str]:
    """NocomLendingPoolV1::liquidate_private; msg_sender is the escrow, whose notes the pool keeps."""
    config = ctx.scratch.pool(pool_address).config
    escrow = ctx.scratch.escrow(msg_sender)
    money = noir.liquidate_private_money(
        anchor_timestamp=ctx.anchor_timestamp, borrow_principal=escrow.loan.principal, borrow_epoch=escrow.loan.epoch,
        collateral_amount=escrow.collateral.amount, amount_to_repay=amount_to_repay,
        asserted_collateral_token_price=asserted_collateral_token_price, asserted_loaned_token_price=asserted_loaned_token_price,
        liquidation_threshold=config.liquidation_threshold,
    )
    escrow.loan = LoanNote(msg_sender, ctx.fresh_randomness(), money.remaining_loan_amount, money.loan_epoch)  # step 9
    escrow.collateral = CollateralNote(msg_sender, ctx.fresh_randomness(), money.remaining_collateral_amount)  # step 10
    token_transfer_private_to_public(  # step 11
        ctx, config.loaned_token_address, pool_address, liquidator_address, pool_address, amount_to_repay, liquidation_authwit_nonce
    )
    # Step 12, with the contract's swap: the loaned price goes where _liquidate_public declares the collateral's.
    ctx.enqueue(lambda: pool_liquidate_public(ctx, pool_address, amount_to_repay, asserted_loaned_token_price,
                                              asserted_collateral_token_price))
    return money.liquidator_collateral_amount, money.protocol_fee, config.treasury_address


def pool_liquidate_public(ctx: CallContext, pool_address: str, liquidated_amount: int, asserted_collateral_token_price: int,
                          asserted_loaned_token_price: int) -> None:
    """NocomLendingPoolV1::_liquidate_public: the feed's prices at the block, then the pool's utilization."""
    pool = ctx.scratch.pool(pool_address)
    config = pool.config
    prices = feed_get_prices(ctx, config.price_oracle_address, [config.collateral_token_address, config.loaned_token_address])
    noir.liquidate_public_price_check(prices, asserted_collateral_token_price, asserted_loaned_token_price)
    pool.total_borrowed = sub(pool.total_borrowed, liquidated_amount)


# --- aztec-standards src/token_contract/src/main.nr -----------------------------------------

def token_transfer_private_to_public(ctx: CallContext, token_address: str, msg_sender: str, from_: str, to: str, amount: int,
                                     nonce: int) -> None:
    """Token::transfer_private_to_public: authwit unless from == msg_sender, spend, enqueue the public credit."""
    args = (address_field(from_), address_field(to), amount, nonce)
    _validate_from_private(ctx, token_address, "transfer_private_to_public", msg_sender, from_, args)
    _decrease_private_balance(ctx, token_address, from_, amount)
    ctx.enqueue(lambda: _increase_public_balance(ctx, token_address, to, amount))


def token_transfer_private_to_private(ctx: CallContext, token_address: str, msg_sender: str, from_: str, to: str, amount: int,
                                      nonce: int) -> None:
    """Token::transfer_private_to_private (the escrow pays from its own balance: no authwit)."""
    args = (address_field(from_), address_field(to), amount, nonce)
    _validate_from_private(ctx, token_address, "transfer_private_to_private", msg_sender, from_, args)
    _decrease_private_balance(ctx, token_address, from_, amount)
    token = ctx.scratch.token(token_address)
    token.private_balances[to] = add(token.private_balances.get(to, 0), amount)


def _validate_from_private(ctx: CallContext, token_address: str, function: str, msg_sender: str, from_: str,
                           args: tuple[int, ...]) -> None:
    """Token::_validate_from_private: the caller is `from`, or `from` signed this exact call for this caller."""
    if from_ == msg_sender:
        return
    intent = AuthwitIntent(from_, msg_sender, function, token_address, args)
    if intent not in ctx.authwits:
        raise NoirAbort(f"Unknown auth witness for message hash {authwit_request_hash(intent)}")
    require(intent not in ctx.scratch.consumed, AUTHWIT_USED)
    ctx.scratch.consumed.add(intent)


def _decrease_private_balance(ctx: CallContext, token_address: str, owner: str, amount: int) -> None:
    token = ctx.scratch.token(token_address)
    balance = token.private_balances.get(owner, 0)
    require(balance >= amount, BALANCE_TOO_LOW)
    token.private_balances[owner] = balance - amount


def _increase_public_balance(ctx: CallContext, token_address: str, to: str, amount: int) -> None:
    """Token::increase_public_balance_internal."""
    token = ctx.scratch.token(token_address)
    token.public_balances[to] = add(token.public_balances.get(to, 0), amount)


# --- price_oracle/src/main.nr --------------------------------------------------------------

def feed_set_price(ctx: CallContext, feed_address: str, msg_sender: str, asset_address: str, price: int) -> None:
    """MockPriceFeed::set_price."""
    feed = ctx.scratch.feed(feed_address)
    require(msg_sender == feed.admin, ONLY_ADMIN_SETS_PRICES)
    feed.assets[asset_address] = price


def feed_set_prices(ctx: CallContext, feed_address: str, msg_sender: str, asset_addresses: list[str], assets_len: int,
                    prices: list[int]) -> None:
    """MockPriceFeed::set_prices: loops over the assets' length only and reads prices.get_unchecked(i),
    so a prices vector shorter than the assets' writes its zero padding (no length check)."""
    feed = ctx.scratch.feed(feed_address)
    require(msg_sender == feed.admin, ONLY_ADMIN_SETS_PRICES)
    for i in range(assets_len):
        feed.assets[asset_addresses[i]] = prices[i]


def feed_change_admin(ctx: CallContext, feed_address: str, msg_sender: str, new_admin: str) -> None:
    """MockPriceFeed::change_admin."""
    feed = ctx.scratch.feed(feed_address)
    require(msg_sender == feed.admin, ONLY_ADMIN_CHANGES_ADMIN)
    feed.admin = new_admin


def feed_get_prices(ctx: CallContext, feed_address: str, asset_addresses: list[str]) -> list[int]:
    """MockPriceFeed::get_prices (a static call from the pool, at the block)."""
    feed = ctx.scratch.feed(feed_address)
    return [feed.price(asset) for asset in asset_addresses]
