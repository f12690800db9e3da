"""An in-memory PXE for the note monitor's unit tests: escrows, pools and tokens, failures on demand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from services.note_monitor.note_reads import NoteReads
from services.note_monitor.positions import PositionIndex
from services.note_monitor.read_gateways import ReadGateways
from services.note_monitor.reader import EscrowReader, PxeReachability
from services.note_monitor.registry import EscrowRegistry
from services.note_monitor.store import PositionStore
from shared.pxe.client import Notes, PoolConfig, UniqueNote
from shared.pxe.errors import PxeError, PxeMethodNotFound, PxeReverted, PxeUnreachable
from shared.pxe.fields import to_field
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
    note_store: bool = True  # False: a PXE without pxe_getNotes (-32601), read by simulations
    senders: list[str] = field(default_factory=list)
    queries: list[list[str] | None] = field(default_factory=list)  # each pxe_getNotes's scopes (None: all)

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

    @asynccontextmanager
    async def _request(self) -> AsyncIterator[None]:
        """One request of several reads: counted in flight (and at most) for as long as it takes."""
        self.batches += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            yield
        finally:
            self.in_flight -= 1

    async def notes_many(self, escrows: list[tuple[str, str]]) -> list[Notes | PxeError]:
        """One 'batch': counted as one request in flight; per escrow its notes or its error."""
        self._check()
        async with self._request():
            self.reads += len(escrows)
            return [self.failing.get(address) or self.notes[address] for address, _ in escrows]

    async def register_senders(self, addresses: list[str]) -> list[PxeError | None]:
        self._check()
        self.senders.extend(addresses)
        return [None for _ in addresses]

    async def get_notes(self, contract: str, *, storage_slot: int | None = None,
                        scopes: list[str] | None = None) -> list[UniqueNote]:
        """The pool's two notes of each escrow (of those in `scopes`); an escrow in `failing` has none."""
        self._check()
        if not self.note_store:
            raise PxeMethodNotFound("Method not found: pxe_getNotes", -32601)
        async with self._request():
            wanted = list(self.notes) if scopes is None else scopes
            self.queries.append(scopes)
            self.reads += len(wanted)
            return [note for address in wanted if address in self.notes and address not in self.failing
                    for note in _unique_notes(contract, address, self.notes[address])]

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


def _unique_notes(pool: str, address: str, notes: Notes) -> list[UniqueNote]:
    """The two notes as a PXE's note store shows them; their nonces change with their values."""
    nonce = to_field(abs(hash((address, notes.collateral_amount, notes.debt_principal, notes.debt_epoch))))
    owner = int(address, 16)
    return [UniqueNote((owner, 1, notes.collateral_amount), address, pool, 11, nonce, nonce),
            UniqueNote((owner, 2, notes.debt_principal, notes.debt_epoch), address, pool, 13, nonce, nonce)]


async def registry_for(tmp_path: Any, pxe: FakePxe, concurrency: int = 4, batch_size: int = 2) -> EscrowRegistry:
    store = PositionStore(tracked_database(f"sqlite+aiosqlite:///{tmp_path}/monitor.db"))
    await store.init()
    reads = NoteReads(ReadGateways([pxe]), concurrency, batch_size)
    return EscrowRegistry(store, PositionIndex(), EscrowReader(10_000), reads, PxeReachability())
