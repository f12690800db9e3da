"""The records of the EVM layer's sends: what is sent, what came of it, what is counted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

Rebuild = Callable[[], Awaitable[bytes | None]]  # the calldata for a replacement; None keeps the current
CANCEL_GAS = 21_000


@dataclass(frozen=True)
class TxResult:
    tx_hash: str  # 0x-hex of the transaction that was mined
    block_number: int
    gas_used: int
    contract_address: str | None = None
    nonce: int | None = None
    replacements: int = 0  # times it was replaced before one of its versions was mined
    logs: tuple[Any, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Replacement:
    """A pending transaction replaced at its nonce with bumped fees (and, for prices, newer calldata)."""

    nonce: int
    tx_hash: str  # the replacement
    replaced_hash: str | None  # the version it replaces
    max_fee_per_gas: int  # wei
    priority_fee_per_gas: int


@dataclass
class SenderStats:
    """Counters for metrics (no Prometheus here): the service exports them."""

    sent: int = 0
    replaced: int = 0
    rebroadcast: int = 0
    cancelled: int = 0  # cancels mined: a given-up transaction that can no longer land
    gave_up: int = 0
    rebuild_failures: int = 0


@dataclass(frozen=True)
class Payload:
    to: str | None
    data: bytes
    value: int
    gas: int
    fixed_gas: bool = False
    cancel: bool = False


def cancel_payload(address: str) -> Payload:
    return Payload(to_checksum_address(address), b"", 0, CANCEL_GAS, fixed_gas=True, cancel=True)
