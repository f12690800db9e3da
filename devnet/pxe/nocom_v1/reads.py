"""nocom-v1's reads: utility functions (pxe_simulateUtility) and public #[view] functions (pxe_simulateView),
each returning its value flattened in Noir ABI order; the note store (pxe_getNotes) and the feed's public
storage (node_getPublicStorageAt)."""

from __future__ import annotations

from collections.abc import Callable

from devnet.pxe.core import PxeCore
from devnet.pxe.derivation import derive_field
from devnet.pxe.nocom_v1 import contracts as noir
from devnet.pxe.nocom_v1.abi import check_call
from devnet.pxe.nocom_v1.contracts import NoirAbort
from devnet.pxe.nocom_v1.world import NocomEscrow, World, address_field, field_compressed_string
from devnet.pxe.notes import ESCROW_CONFIG_SLOT, FEED_ADMIN_SLOT, FEED_ASSETS_MAP_SLOT, Note, pool_notes
from devnet.pxe.rpc_errors import ExecutionError
from shared.pxe.fields import to_field

NotesCheck = Callable[[str, str], None]  # (escrow, contract read): raises ExecutionError when its notes cannot be read
Read = Callable[[World, NotesCheck, str, list[int]], list[int]]


class NocomReads(PxeCore):
    """The reads over NocomState's world, with PxeCore's rules on which escrows' notes this PXE can read."""

    world: World

    def simulate_utility(self, function: str, args: list[int], to: str) -> list[int]:
        return simulate_utility(self.world, self._require_notes, function, args, to)

    def simulate_view(self, function: str, args: list[int], to: str) -> list[int]:
        return simulate_view(self.world, function, args, to)

    def _require_notes(self, escrow: str, contract: str) -> None:
        problem = self.notes_problem(escrow, contract)
        if problem is not None:
            raise ExecutionError(problem)

    def contract_notes(self, contract: str, scopes: set[str] | None) -> list[Note]:
        """The notes of `contract` this PXE can read; `scopes` keeps those of these recipients."""
        world = self.world
        kind = contract_kind(world, contract)
        if kind == "escrows":
            if (scopes is not None and contract not in scopes) or self.notes_problem(contract) is not None:
                return []
            config = world.escrows[contract].config
            return [Note(contract, ESCROW_CONFIG_SLOT, contract, tuple(config.fields()),
                         derive_field("deployment", contract, config.owner))]
        if kind != "pools":
            return []  # token balances and the feed are not kept as notes here
        if scopes is None:
            members = [e for e in world.escrows.values() if e.config.pool == contract]
        else:
            members = [world.escrows[a] for a in sorted(scopes) if a in world.escrows and world.escrows[a].config.pool == contract]
        return [note for e in members if self.notes_problem(e.address) is None
                for note in pool_notes(self.map_slots, contract, e.address, e.collateral, e.loan, self.note_txs[e.address])]

    def public_storage_at(self, contract: str, slot: int) -> int:
        """MockPriceFeed's storage: `assets` (a Map at slot 1: a token's price at its map slot) and `admin`
        (slot 2). Anything else reads zero here, as a slot never written does."""
        feed = self.world.feeds.get(contract)
        if feed is None:
            return 0
        if slot == FEED_ADMIN_SLOT:
            return address_field(feed.admin)
        for asset, price in feed.assets.items():
            if self.map_slots.at(FEED_ASSETS_MAP_SLOT, asset) == slot:
                return price
        return 0


def contract_kind(world: World, address: str) -> str:
    kind = world.contract_kind(address)
    if kind is None:
        raise ExecutionError(f"No contract instance found for address {address}")
    return kind


def simulate_utility(world: World, notes: NotesCheck, name: str, args: list[int], to: str) -> list[int]:
    kind = contract_kind(world, to)
    check_call("pxe_simulateUtility", kind, name, args)
    try:
        return UTILITIES[(kind, name)](world, notes, to, args)
    except NoirAbort as exc:
        raise ExecutionError(exc.message) from None


def simulate_view(world: World, name: str, args: list[int], to: str) -> list[int]:
    kind = contract_kind(world, to)
    check_call("pxe_simulateView", kind, name, args)
    return VIEWS[(kind, name)](world, _reads_no_note, to, args)


def _reads_no_note(escrow: str, contract: str) -> None:
    raise AssertionError("a public view reads no note")


def _sync(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
    return []


# --- private_escrow/src/main.nr --------------------------------------------------------------

def _escrow_get_config(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
    """NocomEscrowV1::get_config: the whole ConfigNote, emitted to the escrow: only its keys decrypt it."""
    notes(to, to)
    return world.escrows[to].config.fields()


# --- lending_pool/src/main.nr ----------------------------------------------------------------

def _pool_get_config(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
    return world.pools[to].config.fields()


def _borrower(world: World, notes: NotesCheck, pool: str, borrower: int) -> NocomEscrow:
    escrow = world.escrows.get(to_field(borrower))
    if escrow is None or escrow.config.pool != pool:
        raise ExecutionError("Escrow not found in this pool")
    notes(escrow.address, pool)
    return escrow


def _pool_get_collateral_and_debt(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
    """NocomLendingPoolV1::get_collateral_and_debt: (CollateralNote, LoanNote) flattened, 7 fields."""
    escrow = _borrower(world, notes, to, args[0])
    c, loan = escrow.collateral, escrow.loan
    return [address_field(c.owner), c.randomness, c.amount, address_field(loan.owner), loan.randomness, loan.principal, loan.epoch]


def _pool_get_utilization(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
    pool = world.pools[to]
    return [pool.total_borrowed, pool.total_supplied]


def _pool_get_health_factor(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
    """NocomLendingPoolV1::get_health_factor(borrower, next_epoch, collateral price, loaned price) -> (ltv, liquidation)."""
    borrower, next_epoch, collateral_price, loaned_price = args
    escrow = _borrower(world, notes, to, borrower)
    config = world.pools[to].config
    interest = noir.calculate_interest(escrow.loan.principal, escrow.loan.epoch, next_epoch, noir.EPOCH_LENGTH, noir.BORROW_INTEREST)
    total_debt = noir.add(escrow.loan.principal, interest)
    amount = escrow.collateral.amount
    ltv_health = noir.calculate_ltv_health(loaned_price, total_debt, collateral_price, amount, config.max_ltv)
    liquidation_health = noir.calculate_ltv_health(loaned_price, total_debt, collateral_price, amount, config.liquidation_threshold)
    return [ltv_health, liquidation_health]


# --- aztec-standards Token -------------------------------------------------------------------

def _token_balance_of_private(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
    return [world.tokens[to].private_balances.get(to_field(args[0]), 0)]


def _token_balance_of_public(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
    return [world.tokens[to].public_balances.get(to_field(args[0]), 0)]


def _token_symbol(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
    return [field_compressed_string(world.tokens[to].symbol)]


def _token_name(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
    return [field_compressed_string(world.tokens[to].name)]


def _token_decimals(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
    return [world.tokens[to].decimals]


def _token_total_supply(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
    token = world.tokens[to]
    return [sum(token.private_balances.values()) + sum(token.public_balances.values())]


# --- price_oracle/src/main.nr ----------------------------------------------------------------

def _feed_get_price(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
    return [world.feeds[to].price(to_field(args[0]))]


def _feed_get_prices(world: World, notes: NotesCheck, to: str, args: list[int]) -> list[int]:
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
