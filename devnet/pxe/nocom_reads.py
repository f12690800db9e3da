"""nocom-v1's read functions: utility functions (pxe_simulateUtility) and public #[view] functions
(pxe_simulateView), each returning its value flattened in Noir ABI order."""

from __future__ import annotations

from collections.abc import Callable

from devnet.pxe import nocom_contracts as noir
from devnet.pxe.nocom_abi import check_call
from devnet.pxe.nocom_contracts import NoirAbort
from devnet.pxe.nocom_world import NocomEscrow, World, address_field, field_compressed_string
from devnet.pxe.rpc_errors import NOTES_UNKNOWN, ExecutionError
from shared.pxe.fields import to_field

Read = Callable[[World, set[str], str, list[int]], list[int]]


def contract_kind(world: World, address: str) -> str:
    kind = world.contract_kind(address)
    if kind is None:
        raise ExecutionError(f"No contract instance found for address {address}")
    return kind


def simulate_utility(world: World, readable: set[str], name: str, args: list[int], to: str) -> list[int]:
    kind = contract_kind(world, to)
    check_call("pxe_simulateUtility", kind, name, args)
    try:
        return UTILITIES[(kind, name)](world, readable, to, args)
    except NoirAbort as exc:
        raise ExecutionError(exc.message) from None


def simulate_view(world: World, name: str, args: list[int], to: str) -> list[int]:
    kind = contract_kind(world, to)
    check_call("pxe_simulateView", kind, name, args)
    return VIEWS[(kind, name)](world, set(), to, args)


def _sync(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    return []


# --- private_escrow/src/main.nr --------------------------------------------------------------

def _escrow_get_config(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    """NocomEscrowV1::get_config: the whole ConfigNote, emitted to the escrow: only its keys decrypt it."""
    if to not in readable:
        raise ExecutionError(NOTES_UNKNOWN)
    return world.escrows[to].config.fields()


# --- lending_pool/src/main.nr ----------------------------------------------------------------

def _pool_get_config(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    return world.pools[to].config.fields()


def _borrower(world: World, readable: set[str], pool: str, borrower: int) -> NocomEscrow:
    escrow = world.escrows.get(to_field(borrower))
    if escrow is None or escrow.config.pool != pool:
        raise ExecutionError("Escrow not found in this pool")
    if escrow.address not in readable:
        raise ExecutionError(NOTES_UNKNOWN)
    return escrow


def _pool_get_collateral_and_debt(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    """NocomLendingPoolV1::get_collateral_and_debt: (CollateralNote, LoanNote) flattened, 7 fields."""
    escrow = _borrower(world, readable, to, args[0])
    c, loan = escrow.collateral, escrow.loan
    return [address_field(c.owner), c.randomness, c.amount, address_field(loan.owner), loan.randomness, loan.principal, loan.epoch]


def _pool_get_utilization(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    pool = world.pools[to]
    return [pool.total_borrowed, pool.total_supplied]


def _pool_get_health_factor(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    """NocomLendingPoolV1::get_health_factor(borrower, next_epoch, collateral price, loaned price) -> (ltv, liquidation)."""
    borrower, next_epoch, collateral_price, loaned_price = args
    escrow = _borrower(world, readable, to, borrower)
    config = world.pools[to].config
    interest = noir.calculate_interest(escrow.loan.principal, escrow.loan.epoch, next_epoch, noir.EPOCH_LENGTH, noir.BORROW_INTEREST)
    total_debt = noir.add(escrow.loan.principal, interest)
    amount = escrow.collateral.amount
    ltv_health = noir.calculate_ltv_health(loaned_price, total_debt, collateral_price, amount, config.max_ltv)
    liquidation_health = noir.calculate_ltv_health(loaned_price, total_debt, collateral_price, amount, config.liquidation_threshold)
    return [ltv_health, liquidation_health]


# --- aztec-standards Token -------------------------------------------------------------------

def _token_balance_of_private(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    return [world.tokens[to].private_balances.get(to_field(args[0]), 0)]


def _token_balance_of_public(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    return [world.tokens[to].public_balances.get(to_field(args[0]), 0)]


def _token_symbol(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    return [field_compressed_string(world.tokens[to].symbol)]


def _token_name(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    return [field_compressed_string(world.tokens[to].name)]


def _token_decimals(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    return [world.tokens[to].decimals]


def _token_total_supply(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    token = world.tokens[to]
    return [sum(token.private_balances.values()) + sum(token.public_balances.values())]


# --- price_oracle/src/main.nr ----------------------------------------------------------------

def _feed_get_price(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    return [world.feeds[to].price(to_field(args[0]))]


def _feed_get_prices(world: World, readable: set[str], to: str, args: list[int]) -> list[int]:
    """MockPriceFeed::get_prices(BoundedVec<AztecAddress, 2>) -> BoundedVec<u128, 2>: [p0, p1, len]."""
    feed, length = world.feeds[to], args[2]
    prices = [feed.price(to_field(args[i])) for i in range(length)]
    return prices + [0] * (2 - length) + [length]


UTILITIES: dict[tuple[str, str], Read] = {
    ("escrows", "sync_private_state"): _sync, ("pools", "sync_private_state"): _sync,
    ("tokens", "sync_private_state"): _sync, ("feeds", "sync_private_state"): _sync,
    ("escrows", "get_config"): _escrow_get_config,
    ("pools", "get_config"): _pool_get_config,
    ("pools", "get_collateral_and_debt"): _pool_get_collateral_and_debt,
    ("pools", "get_utilization"): _pool_get_utilization,
    ("pools", "get_health_factor"): _pool_get_health_factor,
    ("tokens", "balance_of_private"): _token_balance_of_private,
}
VIEWS: dict[tuple[str, str], Read] = {
    ("tokens", "symbol"): _token_symbol, ("tokens", "name"): _token_name, ("tokens", "decimals"): _token_decimals,
    ("tokens", "total_supply"): _token_total_supply, ("tokens", "balance_of_public"): _token_balance_of_public,
    ("feeds", "get_price"): _feed_get_price, ("feeds", "get_prices"): _feed_get_prices,
}
