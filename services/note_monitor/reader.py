"""The PXE adapter: everything the monitor reads about an escrow, in domain terms.

Only the lending-protocol helpers of `PxeClient` are used, so a real PXE gateway works unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from services.note_monitor.escrows import Escrow
from shared.interning import intern_text
from shared.logging import get_logger
from shared.pxe.client import Notes, PoolConfig
from shared.pxe.errors import PxeError

log = get_logger()


class PxeReads(Protocol):
    async def status(self) -> bool: ...
    async def block_number(self) -> int: ...
    async def register_contract(self, instance: dict[str, Any], secret_key: str | None = None) -> None: ...
    async def sync_private_state(self, escrow: str) -> None: ...
    async def escrow_pool(self, escrow: str) -> str: ...
    async def pool_config(self, pool: str) -> PoolConfig: ...
    async def token_symbol(self, token: str) -> str: ...
    async def collateral_and_debt(self, pool: str, escrow: str) -> Notes: ...
    async def notes_many(self, escrows: list[tuple[str, str]]) -> list[Notes | PxeError]: ...


class EscrowReader:
    def __init__(self, pxe: PxeReads) -> None:
        self.pxe = pxe
        self._symbols: dict[str, str] = {}  # a token's symbol never changes

    async def read_notes(self, address: str, pool: str) -> Notes:
        await self.pxe.sync_private_state(address)
        return await self.pxe.collateral_and_debt(pool, address)

    async def read_many(self, escrows: list[Escrow]) -> list[Notes | PxeError]:
        """The notes of many escrows in two JSON-RPC batches; one escrow's error is its own."""
        return await self.pxe.notes_many([(e.address, e.pool) for e in escrows])

    async def discover(self, address: str, has_secret_key: bool, registered_at: int) -> Escrow:
        pool = intern_text(await self.pxe.escrow_pool(address))
        config = await self.pxe.pool_config(pool)
        return Escrow(
            address=address,
            pool=pool,
            collateral_token=intern_text(config.collateral_token),
            debt_token=intern_text(config.debt_token),
            collateral_asset=await self.symbol(config.collateral_token),
            debt_asset=await self.symbol(config.debt_token),
            liquidation_threshold_bps=config.liquidation_threshold,
            has_secret_key=has_secret_key,
            registered_at=registered_at,
        )

    async def symbol(self, token: str) -> str:
        if token not in self._symbols:
            self._symbols[token] = intern_text(await self.pxe.token_symbol(token))
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
