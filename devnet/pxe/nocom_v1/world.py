"""The storage of nocom-v1's contracts, as the development PXE holds them in memory.

Each dataclass mirrors one contract's storage or one note, in the Noir field order, so a read can
flatten it exactly as the ABI does. `TxScratch` gives a transaction copies of what it touches, so
a revert anywhere leaves the world as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from devnet.pxe.core import AuthwitIntent, OverlaySet
from devnet.pxe.notes import CollateralNote, LoanNote

FIELD_STRING_BYTES = 31  # a FieldCompressedString holds str<31>


def field_compressed_string(text: str) -> int:
    """aztec-nr FieldCompressedString::from_string: the 31 bytes of str<31>, big-endian, in one field.
    aztec.js pads a shorter string with zero bytes on the right, so "USDC" is b"USDC" + 27 * b"\\0"."""
    raw = text.encode("ascii") if text.isascii() else b""
    if not 0 < len(raw) <= FIELD_STRING_BYTES or b"\0" in raw:
        raise ValueError(f"a token symbol or name must be 1 to {FIELD_STRING_BYTES} ASCII characters")
    return int.from_bytes(raw.ljust(FIELD_STRING_BYTES, b"\0"), "big")


def read_field_compressed_string(value: int) -> str:
    """The text back, its zero padding dropped (as aztec.js readFieldCompressedString does)."""
    return value.to_bytes(FIELD_STRING_BYTES, "big").replace(b"\0", b"").decode("ascii")


def address_field(address: str) -> int:
    return int(address, 16)


@dataclass
class NocomToken:
    """aztec-standards Token: name and symbol (FieldCompressedString), decimals, private and public balances."""

    address: str
    symbol: str
    name: str
    decimals: int = 18
    private_balances: dict[str, int] = field(default_factory=dict)
    public_balances: dict[str, int] = field(default_factory=dict)

    def clone(self) -> NocomToken:
        return replace(self, private_balances=dict(self.private_balances), public_balances=dict(self.public_balances))


@dataclass
class PriceFeed:
    """price_oracle/src/main.nr: MockPriceFeed's storage, `assets` (token address -> u128 price) and `admin`."""

    address: str
    admin: str
    assets: dict[str, int] = field(default_factory=dict)

    def clone(self) -> PriceFeed:
        return replace(self, assets=dict(self.assets))

    def price(self, asset: str) -> int:
        return self.assets.get(asset, 0)  # an unset PublicMutable<u128> reads 0


@dataclass(frozen=True)
class PoolConfig:
    """pool_common/src/types/config.nr: Config, field by field in its order (9 fields flattened)."""

    admin_address: str
    liquidator_pubkey_x: int
    liquidator_pubkey_y: int
    price_oracle_address: str
    treasury_address: str
    collateral_token_address: str
    loaned_token_address: str
    max_ltv: int
    liquidation_threshold: int

    def fields(self) -> list[int]:
        return [
            address_field(self.admin_address), self.liquidator_pubkey_x, self.liquidator_pubkey_y,
            address_field(self.price_oracle_address), address_field(self.treasury_address),
            address_field(self.collateral_token_address), address_field(self.loaned_token_address),
            self.max_ltv, self.liquidation_threshold,
        ]


@dataclass
class LendingPool:
    """lending_pool/src/main.nr: NocomLendingPoolV1's public storage: its config and Utilization."""

    address: str
    config: PoolConfig
    total_borrowed: int = 0  # counts principal in, repaid amounts (interest included) out
    total_supplied: int = 0

    def clone(self) -> LendingPool:
        return replace(self)


@dataclass(frozen=True)
class EscrowConfigNote:
    """private_escrow/src/types/config_note.nr: ConfigNote, in its field order (6 fields flattened)."""

    owner: str
    holder_commitment: int
    pool: str
    collateral_token_address: str
    loaned_token_address: str
    randomness: int

    def fields(self) -> list[int]:
        return [
            address_field(self.owner), self.holder_commitment, address_field(self.pool),
            address_field(self.collateral_token_address), address_field(self.loaned_token_address), self.randomness,
        ]


@dataclass
class NocomEscrow:
    """An escrow with its config note and the pool's two notes kept for it (storage.collateral/debt.at(escrow))."""

    address: str
    config: EscrowConfigNote
    collateral: CollateralNote
    loan: LoanNote

    def clone(self) -> NocomEscrow:
        return replace(self)


@dataclass
class World:
    tokens: dict[str, NocomToken] = field(default_factory=dict)
    feeds: dict[str, PriceFeed] = field(default_factory=dict)
    pools: dict[str, LendingPool] = field(default_factory=dict)
    escrows: dict[str, NocomEscrow] = field(default_factory=dict)

    def contract_kind(self, address: str) -> str | None:
        for kind in ("escrows", "pools", "tokens", "feeds"):
            if address in getattr(self, kind):
                return kind
        return None


T = TypeVar("T", NocomToken, PriceFeed, LendingPool, NocomEscrow)


class TxScratch:
    """Copies of the contracts one tx touches (made on first touch), written back by `commit`."""

    def __init__(self, world: World, consumed: OverlaySet) -> None:
        self.world = world
        self.consumed = consumed
        self.tokens: dict[str, NocomToken] = {}
        self.feeds: dict[str, PriceFeed] = {}
        self.pools: dict[str, LendingPool] = {}
        self.escrows: dict[str, NocomEscrow] = {}

    def token(self, address: str) -> NocomToken:
        return _touch(self.tokens, self.world.tokens, address, NocomToken.clone)

    def feed(self, address: str) -> PriceFeed:
        return _touch(self.feeds, self.world.feeds, address, PriceFeed.clone)

    def pool(self, address: str) -> LendingPool:
        return _touch(self.pools, self.world.pools, address, LendingPool.clone)

    def escrow(self, address: str) -> NocomEscrow:
        return _touch(self.escrows, self.world.escrows, address, NocomEscrow.clone)

    def commit(self, consumed: set[AuthwitIntent]) -> None:
        self.world.tokens.update(self.tokens)
        self.world.feeds.update(self.feeds)
        self.world.pools.update(self.pools)
        self.world.escrows.update(self.escrows)
        consumed |= self.consumed.added


def _touch(copies: dict[str, T], originals: dict[str, T], address: str, clone: Callable[[T], T]) -> T:
    if address not in copies:
        copies[address] = clone(originals[address])
    return copies[address]
