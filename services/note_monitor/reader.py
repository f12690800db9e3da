"""The PXE adapter: everything the monitor reads about an escrow at registration, in domain terms.

Only the lending-protocol helpers of `PxeClient` are used, so a real PXE gateway works unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from services.note_monitor import problems
from services.note_monitor.errors import EscrowRejected
from services.note_monitor.escrows import Escrow
from shared.interning import intern_text
from shared.logging import get_logger
from shared.pxe.client import Notes, PoolConfig, UniqueNote
from shared.pxe.errors import PxeError, PxeReverted

log = get_logger()
ZERO = "0x" + "0" * 64


class PxeReads(Protocol):
    async def status(self) -> bool: ...
    async def block_number(self) -> int: ...
    async def register_contract(self, instance: dict[str, Any], secret_key: str | None = None) -> None: ...
    async def register_senders(self, addresses: list[str]) -> list[PxeError | None]: ...
    async def escrow_pool(self, escrow: str) -> str: ...
    async def pool_config(self, pool: str) -> PoolConfig: ...
    async def token_symbol(self, token: str) -> str: ...
    async def get_notes(self, contract: str, *, storage_slot: int | None = None,
                        scopes: list[str] | None = None) -> list[UniqueNote]: ...
    async def notes_many(self, escrows: list[tuple[str, str]]) -> list[Notes | PxeError]: ...


class EscrowReader:
    def __init__(self, threshold_base: int) -> None:
        self.threshold_base = threshold_base  # the protocol's: a pool's threshold is above 0 and at most this
        self._symbols: dict[str, str] = {}  # a token's symbol never changes

    async def pool_of(self, pxe: PxeReads, address: str, gateway: str) -> str:
        """The pool the escrow's config note names; EscrowRejected, in words, when the PXE cannot read that note."""
        try:
            return intern_text(await pxe.escrow_pool(address))
        except PxeReverted as exc:
            if problems.is_no_note(exc.reason):
                raise EscrowRejected(problems.config_unreadable(address, gateway, exc.reason), field="pool") from None
            raise

    async def discover(self, pxe: PxeReads, address: str, pool: str, pool_given: bool, has_secret_key: bool,
                       registered_at: int, owner: str | None, gateway: str) -> Escrow:
        """The escrow's record: its pool's tokens, their symbols and its threshold, read from the pool."""
        try:
            config = await pxe.pool_config(pool)
        except PxeReverted as exc:
            if missing := problems.pool_not_deployed(pool, gateway, exc.reason):
                raise EscrowRejected(missing, field="pool" if pool_given else "address") from None
            if not pool_given:
                raise
            raise EscrowRejected(f"{pool} is not a lending pool this PXE reads: {exc.reason}", field="pool") from None
        self._check(pool, config, "pool" if pool_given else "address")
        return Escrow(
            address=address, pool=intern_text(pool), collateral_token=intern_text(config.collateral_token),
            debt_token=intern_text(config.debt_token), collateral_asset=await self.symbol(pxe, config.collateral_token),
            debt_asset=await self.symbol(pxe, config.debt_token), liquidation_threshold_bps=config.liquidation_threshold,
            has_secret_key=has_secret_key, registered_at=registered_at, owner=owner, gateway=intern_text(gateway),
        )

    def _check(self, pool: str, config: PoolConfig, field: str) -> None:
        """A pool's config as a lending pool's must be: two distinct tokens, a threshold within the protocol's base."""
        wrong = []
        if ZERO in (config.collateral_token, config.debt_token) or config.collateral_token == config.debt_token:
            wrong.append("its collateral and debt tokens must be two distinct non-zero addresses")
        if not 0 < config.liquidation_threshold <= self.threshold_base:
            wrong.append(f"its liquidation threshold {config.liquidation_threshold} is not within 1..{self.threshold_base}")
        if wrong:
            raise EscrowRejected(f"pool {pool} answered a config no lending pool has: {'; '.join(wrong)}", field=field)

    async def symbol(self, pxe: PxeReads, token: str) -> str:
        if token not in self._symbols:
            self._symbols[token] = intern_text(await pxe.token_symbol(token))
        return self._symbols[token]


class PxeReachability:
    """Whether the PXE answers; logs `PXE unreachable` / `PXE reachable` once per change of state."""

    def __init__(self, on_change: Callable[[bool], None] | None = None) -> None:
        self.up: bool | None = None
        self._on_change = on_change

    def mark(self, up: bool, error: str | None = None) -> None:
        if up == self.up:
            return
        self.up = up
        if up:
            log.info("PXE reachable")
        else:
            log.warning("PXE unreachable", error=error)
        if self._on_change:
            self._on_change(up)
