"""An in-memory PXE for the note monitor's unit tests: escrows, pools and tokens, failures on demand."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from services.note_monitor.positions import PositionIndex
from services.note_monitor.reader import EscrowReader, PxeReachability
from services.note_monitor.registry import EscrowRegistry
from services.note_monitor.store import PositionStore
from shared.pxe.client import Notes, PoolConfig
from shared.pxe.errors import PxeError, PxeReverted, PxeUnreachable
from tests.fixtures.databases import tracked_database

POOL = "0x" + "0b" * 32
BTC, USDC = "0x" + "01" * 32, "0x" + "02" * 32
E18 = 10**18


def escrow(n: int) -> str:
    return f"0x{n:064x}"


@dataclass
class FakePxe:
    notes: dict[str, Notes] = field(default_factory=dict)
    failing: dict[str, PxeError] = field(default_factory=dict)  # by escrow
    down: bool = False
    block: int = 7
    registered: list[dict[str, Any]] = field(default_factory=list)
    reads: int = 0
    batches: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    delay: float = 0.0

    def add(self, n: int, collateral: int = E18, principal: int = 1_000 * E18, epoch: int = 3) -> str:
        self.notes[escrow(n)] = Notes(collateral, principal, epoch)
        return escrow(n)

    def _check(self) -> None:
        if self.down:
            raise PxeUnreachable("PXE unreachable on node_getBlockNumber: ConnectError")

    async def status(self) -> bool:
        return not self.down

    async def block_number(self) -> int:
        self._check()
        return self.block

    async def register_contract(self, instance: dict, secret_key: str | None = None) -> None:
        self._check()
        self.registered.append({"instance": instance, "secretKey": secret_key})

    async def sync_private_state(self, address: str) -> None:
        self._check()

    async def escrow_pool(self, address: str) -> str:
        self._check()
        if address not in self.notes:
            raise PxeReverted("No contract instance found for address " + address)
        return POOL

    async def pool_config(self, pool: str) -> PoolConfig:
        return PoolConfig(BTC, USDC, 7500, 8000)

    async def token_symbol(self, token: str) -> str:
        return {BTC: "BTC", USDC: "USDC"}[token]

    async def notes_many(self, escrows: list[tuple[str, str]]) -> list[Notes | PxeError]:
        """One 'batch': counted as one request in flight; per escrow its notes or its error."""
        self._check()
        self.batches += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            self.reads += len(escrows)
            return [self.failing.get(address) or self.notes[address] for address, _ in escrows]
        finally:
            self.in_flight -= 1

    async def collateral_and_debt(self, pool: str, address: str) -> Notes:
        self._check()
        self.reads += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if address in self.failing:
                raise self.failing[address]
            return self.notes[address]
        finally:
            self.in_flight -= 1


async def registry_for(tmp_path: Any, pxe: FakePxe) -> EscrowRegistry:
    store = PositionStore(tracked_database(f"sqlite+aiosqlite:///{tmp_path}/monitor.db"))
    await store.init()
    return EscrowRegistry(store, PositionIndex(), EscrowReader(pxe), PxeReachability())  # type: ignore[arg-type]
