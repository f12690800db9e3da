"""The reference lending protocol's rules, written as the contracts state them (docs/money-math.md, reference).

Deliberately independent of shared/protocols/reference.py: a property test compares the two.
The notes (CollateralNote, LoanNote) are both protocols' (devnet/pxe/notes.py), as are authwits (core.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, MutableSet
from dataclasses import dataclass, field

from devnet.pxe.core import AuthwitIntent
from devnet.pxe.notes import CollateralNote, LoanNote

# --- contract constants ----------------------------------------------------------------
EPOCH_LENGTH = 900
BORROW_RATE_TENTHS = 50
WAD = 1_000_000_000_000_000_000
INTEREST_BASE = 1_000_000_000
SECONDS_PER_YEAR = 365 * 24 * 60 * 60
LIQUIDATION_BONUS_BPS = 1000
PROTOCOL_FEE_BPS = 1000
MAX_BPS = 10_000

# --- revert reasons ---------------------------------------------------------------------
PRICE_MISMATCH = "Price mismatch"
POSITION_HEALTHY = "Position healthy, cannot liquidate"
OVER_CLOSE_FACTOR = "Cannot repay more than 50% of total borrowed"
INSUFFICIENT_COLLATERAL = "Insufficient collateral"
AUTHWIT_NOT_FOUND = "Authwit not found"
INSUFFICIENT_BALANCE = "Insufficient balance"


class Revert(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Token:
    address: str
    symbol: str
    private_balances: dict[str, int] = field(default_factory=dict)
    public_balances: dict[str, int] = field(default_factory=dict)

    def balance_of_private(self, owner: str) -> int:
        return self.private_balances.get(owner, 0)

    def mint_private(self, owner: str, amount: int) -> None:
        self.private_balances[owner] = self.balance_of_private(owner) + amount

    def credit_private(self, owner: str, amount: int) -> None:
        self.private_balances[owner] = self.balance_of_private(owner) + amount

    def transfer_private_to_public(self, sender: str, recipient: str, amount: int) -> None:
        if self.balance_of_private(sender) < amount:
            raise Revert(INSUFFICIENT_BALANCE)
        self.private_balances[sender] = self.balance_of_private(sender) - amount
        self.public_balances[recipient] = self.public_balances.get(recipient, 0) + amount


@dataclass(frozen=True)
class Pool:
    address: str
    collateral_token: str
    debt_token: str
    max_ltv_bps: int
    liquidation_threshold_bps: int


@dataclass
class Escrow:
    address: str
    pool: str
    collateral: CollateralNote
    loan: LoanNote


@dataclass(frozen=True)
class LiquidationOutcome:
    repay: int
    seized: int
    fee: int
    new_principal: int
    new_epoch: int


# --- interest -------------------------------------------------------------------------------

def current_epoch_end(now: int) -> int:
    return now // EPOCH_LENGTH + 1


def accrued_interest(principal: int, from_epoch: int, to_epoch: int) -> int:
    if to_epoch <= from_epoch:
        return 0
    rate = BORROW_RATE_TENTHS * WAD // (1000 * SECONDS_PER_YEAR)
    elapsed = (to_epoch - from_epoch) * EPOCH_LENGTH
    rate_sq = rate * rate // WAD
    rate_cu = rate_sq * rate // WAD
    first = elapsed * rate
    second = elapsed * (elapsed - 1) * rate_sq // 2
    third = elapsed * (elapsed - 1) * max(elapsed - 2, 0) * rate_cu // 6
    factor = (first + second + third) // (WAD // INTEREST_BASE)
    return principal * factor // INTEREST_BASE


def owed(loan: LoanNote, now: int) -> int:
    return loan.principal + accrued_interest(loan.principal, loan.epoch, current_epoch_end(now))


def is_unhealthy(collateral: int, collateral_price: int, threshold_bps: int, debt: int, debt_price: int) -> bool:
    if debt == 0:
        return False
    return collateral * collateral_price * threshold_bps < debt * debt_price * MAX_BPS


# --- liquidation ----------------------------------------------------------------------------

def check_prices(asserted_collateral: int, asserted_debt: int, oracle_collateral: int, oracle_debt: int) -> None:
    """The asserted prices against the oracle's, as the deployed protocol compares them (docs/money-math.md, reference price check,
    without its swap): a move in the borrower's disfavour since the assertion still liquidates."""
    if oracle_collateral <= 0 or oracle_debt <= 0:
        raise Revert(PRICE_MISMATCH)
    if oracle_collateral < asserted_collateral or oracle_debt > asserted_debt:
        raise Revert(PRICE_MISMATCH)


def seizure(repay: int, collateral_price: int, debt_price: int) -> tuple[int, int]:
    """(seized, protocol fee) for repaying `repay` at these prices."""
    base = repay * debt_price // collateral_price
    bonus = base * LIQUIDATION_BONUS_BPS // MAX_BPS
    return base + bonus, bonus * PROTOCOL_FEE_BPS // MAX_BPS


def check_liquidation(
    escrow: Escrow,
    pool: Pool,
    debt_token: Token,
    liquidator: str,
    repay: int,
    nonce: int,
    asserted_collateral_price: int,
    asserted_debt_price: int,
    oracle_collateral_price: int,
    oracle_debt_price: int,
    authwits: Collection[AuthwitIntent],
    consumed: Collection[AuthwitIntent],
    now: int,
) -> tuple[LiquidationOutcome, AuthwitIntent]:
    """Every check of escrow.liquidate in the contract's order; the outcome if none reverts."""
    check_prices(asserted_collateral_price, asserted_debt_price, oracle_collateral_price, oracle_debt_price)
    debt = owed(escrow.loan, now)
    if not is_unhealthy(
        escrow.collateral.amount, asserted_collateral_price, pool.liquidation_threshold_bps, debt, asserted_debt_price
    ):
        raise Revert(POSITION_HEALTHY)
    if repay > debt // 2:
        raise Revert(OVER_CLOSE_FACTOR)
    seized, fee = seizure(repay, asserted_collateral_price, asserted_debt_price)
    if seized > escrow.collateral.amount:
        raise Revert(INSUFFICIENT_COLLATERAL)
    intent = AuthwitIntent(
        on_behalf_of=liquidator,
        caller=pool.address,
        name="transfer_private_to_public",
        to=debt_token.address,
        args=(int(liquidator, 16), int(pool.address, 16), repay, nonce),
    )
    if intent not in authwits or intent in consumed:
        raise Revert(AUTHWIT_NOT_FOUND)
    if debt_token.balance_of_private(liquidator) < repay:
        raise Revert(INSUFFICIENT_BALANCE)
    outcome = LiquidationOutcome(
        repay=repay, seized=seized, fee=fee, new_principal=debt - repay, new_epoch=current_epoch_end(now)
    )
    return outcome, intent


def liquidate(
    escrow: Escrow,
    pool: Pool,
    tokens: Mapping[str, Token],
    liquidator: str,
    repay: int,
    nonce: int,
    asserted_collateral_price: int,
    asserted_debt_price: int,
    oracle_prices: Mapping[str, int],
    authwits: Collection[AuthwitIntent],
    consumed: MutableSet[AuthwitIntent],
    now: int,
    fresh_randomness: int = 0,
) -> LiquidationOutcome:
    """escrow.liquidate(repay, nonce, collateral_price, debt_price) called by `liquidator`: checks, then effects."""
    collateral_token = tokens[pool.collateral_token]
    debt_token = tokens[pool.debt_token]
    outcome, intent = check_liquidation(
        escrow, pool, debt_token, liquidator, repay, nonce,
        asserted_collateral_price, asserted_debt_price,
        oracle_prices.get(collateral_token.symbol, 0), oracle_prices.get(debt_token.symbol, 0),
        authwits, consumed, now,
    )
    consumed.add(intent)
    debt_token.transfer_private_to_public(liquidator, pool.address, outcome.repay)
    escrow.loan = LoanNote(escrow.loan.owner, fresh_randomness, outcome.new_principal, outcome.new_epoch)
    escrow.collateral = CollateralNote(
        escrow.collateral.owner, fresh_randomness + 1, escrow.collateral.amount - outcome.seized
    )
    collateral_token.credit_private(liquidator, outcome.seized - outcome.fee)
    # The protocol fee stays with the pool, publicly.
    collateral_token.public_balances[pool.address] = collateral_token.public_balances.get(pool.address, 0) + outcome.fee
    return outcome
