"""Escrow registration and removal.

A secret key goes to the PXE (`pxe_registerContract`) and is then dropped: it is never stored, returned
or logged; the monitor keeps only `has_secret_key`. Each escrow is placed on one read gateway
(read_gateways.py): its key and its notes' senders (its owner when given, its pool) are registered there
before its first read, because a real PXE finds a note only once it knows the note's sender.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from services.note_monitor import problems
from services.note_monitor.errors import EscrowExists, EscrowNotFound, EscrowRejected, PxeUnavailable, StoreUnavailable
from services.note_monitor.escrows import Escrow, position_of
from services.note_monitor.note_reads import NoteReads
from services.note_monitor.positions import PositionIndex
from services.note_monitor.reader import EscrowReader, PxeReachability, PxeReads
from services.note_monitor.recovery import is_missing, register_senders
from services.note_monitor.store import PositionStore
from shared.logging import get_logger
from shared.positions import RemovedPosition
from shared.pxe.client import Notes
from shared.pxe.errors import PxeError, PxeInvalidInput, PxeReverted, PxeUnreachable
from shared.pxe.fields import normalize_address

log = get_logger()

__all__ = ["EscrowExists", "EscrowNotFound", "EscrowRegistry", "EscrowRejected", "PxeUnavailable", "StoreUnavailable"]

STORE_WORDS = {
    "read-only": "the monitor's database refuses writes (it is read-only): nothing can be registered or removed "
                 "until it takes writes again",
    "schema missing": "the monitor's database lost its schema (the escrows table is gone): restart the monitor, "
                      "which migrates it at start, then register the escrows again",
    "unreachable": "the monitor's database is unreachable: nothing can be registered or removed until it answers",
}


def scrub(message: str, secret: str | None) -> str:
    if secret:
        message = message.replace(secret, "***").replace(secret.lower(), "***")
    return message


def contract_instance(address: str, instance: dict[str, Any] | None) -> dict[str, Any]:
    if instance and "address" in instance:
        try:
            same = normalize_address(str(instance["address"])) == address
        except ValueError:
            same = False
        if not same:
            raise EscrowRejected("does not match address", field="instance.address")
    return {**(instance or {}), "address": address}


class EscrowRegistry:
    def __init__(self, store: PositionStore, index: PositionIndex, reader: EscrowReader, reads: NoteReads,
                 pxe_reachability: PxeReachability) -> None:
        self.store = store
        self.index = index
        self.reader = reader
        self.reads = reads
        self.gateways = reads.gateways
        self.pxe_reachability = pxe_reachability
        self.escrows: dict[str, Escrow] = {}
        # Every write of escrows, positions and the version goes through this lock.
        self.write_lock = asyncio.Lock()
        self._pending: set[str] = set()
        # Replicas (a shared store): reads what any monitor wrote, in version order, into the index.
        self.follow: Callable[[], Awaitable[None]] | None = None

    def load(self, escrows: list[Escrow]) -> None:
        self.escrows = {e.address: e for e in escrows}

    def listed(self) -> list[Escrow]:
        return sorted(self.escrows.values(), key=lambda e: (e.registered_at, e.address))

    async def register(self, address: str, secret_key: str | None = None, instance: dict[str, Any] | None = None,
                       owner: str | None = None, pool: str | None = None) -> Escrow:
        address = normalize_address(address)
        if address in self.escrows or address in self._pending:
            raise EscrowExists(f"Escrow {address} is already registered")
        self._pending.add(address)
        try:
            escrow, notes, block = await self._discover(address, secret_key, instance, owner, pool)
            async with self.write_lock:
                position = position_of(escrow, notes, int(time.time()), block, self.index.next_version())
                await self._written(self.store.save_registration(escrow, position, self.index.allocated), address)
                if not self.store.shared:
                    self.escrows[address] = escrow
                    self.index.put(position)
            if self.follow is not None:
                await self.follow()
        finally:
            self._pending.discard(address)
        log.info("Escrow registered", address=address, pool=escrow.pool, gateway=escrow.gateway)
        return escrow

    async def _written(self, write: Awaitable[Any], address: str) -> Any:
        """A write of the store, its failure told in words: EscrowExists (another monitor registered the
        escrow meanwhile) or StoreUnavailable (the database's state says why)."""
        try:
            return await write
        except IntegrityError:
            raise EscrowExists(f"Escrow {address} is already registered") from None
        except SQLAlchemyError as exc:
            state = await self.store.db.state("escrows")
            log.error("Position store write failed", error=repr(exc)[:300], database=state)
            raise StoreUnavailable(STORE_WORDS.get(state, "the monitor's database refused the write: try again")) from None

    async def _discover(self, address: str, secret_key: str | None, instance: dict[str, Any] | None,
                        owner: str | None, pool: str | None) -> tuple[Escrow, Notes, int]:
        gateway = self.gateways.place(address)
        try:
            found = await self._enroll(gateway, address, secret_key, instance, owner, pool)
        except PxeUnreachable as exc:
            self.pxe_reachability.mark(False, scrub(str(exc), secret_key))
            raise PxeUnavailable("PXE unreachable") from None
        except (PxeReverted, PxeInvalidInput) as exc:
            self.pxe_reachability.mark(True)
            reason = exc.reason if isinstance(exc, PxeReverted) else str(exc)
            raise EscrowRejected(scrub(reason, secret_key) or "PXE rejected the escrow") from None
        except PxeError as exc:
            raise PxeUnavailable(f"PXE error: {scrub(str(exc), secret_key)}") from None
        except EscrowRejected as exc:
            self.pxe_reachability.mark(True)
            raise EscrowRejected(scrub(str(exc), secret_key), exc.field) from None
        self.pxe_reachability.mark(True)
        return found

    async def _enroll(self, gateway: str, address: str, secret_key: str | None, instance: dict[str, Any] | None,
                      owner: str | None, pool: str | None) -> tuple[Escrow, Notes, int]:
        """The escrow's key and senders registered with its gateway, its pool found (given, or named by its
        config note), the pool's config read, then its notes read once."""
        pxe: PxeReads = self.gateways.client(gateway)
        if secret_key or instance:
            await pxe.register_contract(contract_instance(address, instance), secret_key)
        await register_senders(pxe, [a for a in (owner, pool) if a], self.reads.batch_size)
        found_pool = pool
        if found_pool is None:
            found_pool = await self.reader.pool_of(pxe, address, gateway)
            await register_senders(pxe, [found_pool], self.reads.batch_size)
        escrow = await self.reader.discover(pxe, address, found_pool, pool is not None, bool(secret_key),
                                            int(time.time()), owner, gateway)
        # The block before the notes, as a sync does: the notes are at least as new as the stamp.
        block = await pxe.block_number()
        result = (await self.reads.read([escrow]))[address]
        if is_missing(result):
            reason = result.reason if isinstance(result, PxeReverted) else None
            raise EscrowRejected(problems.notes_unreadable(address, escrow.pool, gateway, reason),
                                 field="pool" if pool is not None else "address")
        if isinstance(result, PxeError):
            raise result
        return escrow, result, block

    async def remove(self, address: str) -> Escrow:
        address = normalize_address(address)
        if self.follow is not None:
            await self.follow()
        async with self.write_lock:
            escrow = self.escrows.get(address)
            if escrow is None:
                raise EscrowNotFound(f"Escrow {address} is not registered")
            removed = RemovedPosition(address, escrow.collateral_asset, escrow.debt_asset, self.index.next_version())
            removed = await self._written(self.store.save_removal(removed, self.index.allocated), address)
            if not self.store.shared:
                del self.escrows[address]
                self.index.remove(removed)
        if self.follow is not None:
            await self.follow()
        log.info("Escrow removed", address=address, pool=escrow.pool)
        return escrow
