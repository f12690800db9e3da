"""Escrow registration and removal.

A secret key goes to the PXE (`pxe_registerContract`) and is then dropped: it is never
stored, returned or logged; the monitor keeps only `has_secret_key`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.note_monitor.escrows import Escrow, position_of
from services.note_monitor.positions import PositionIndex
from services.note_monitor.reader import EscrowReader, PxeReachability
from services.note_monitor.store import PositionStore
from shared.logging import get_logger
from shared.positions import RemovedPosition
from shared.pxe.client import Notes
from shared.pxe.errors import PxeError, PxeInvalidInput, PxeReverted, PxeUnreachable
from shared.pxe.fields import normalize_address

log = get_logger()


class EscrowExists(Exception):
    pass


class EscrowNotFound(Exception):
    pass


class PxeUnavailable(Exception):
    """The PXE could not be reached (or failed) while the escrow was being discovered."""


class EscrowRejected(Exception):
    """The PXE refused the escrow, e.g. its notes are unknown; the message is the PXE's reason."""

    def __init__(self, reason: str, field: str = "address") -> None:
        super().__init__(reason)
        self.field = field


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
    def __init__(self, store: PositionStore, index: PositionIndex, reader: EscrowReader, pxe_reachability: PxeReachability) -> None:
        self.store = store
        self.index = index
        self.reader = reader
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

    async def register(self, address: str, secret_key: str | None = None, instance: dict[str, Any] | None = None) -> Escrow:
        address = normalize_address(address)
        if address in self.escrows or address in self._pending:
            raise EscrowExists(f"Escrow {address} is already registered")
        self._pending.add(address)
        try:
            escrow, notes, block = await self._discover(address, secret_key, instance)
            async with self.write_lock:
                position = position_of(escrow, notes, int(time.time()), block, self.index.next_version())
                try:
                    await self.store.save_registration(escrow, position, self.index.allocated)
                except IntegrityError:  # another monitor registered it meanwhile
                    raise EscrowExists(f"Escrow {address} is already registered") from None
                if not self.store.shared:
                    self.escrows[address] = escrow
                    self.index.put(position)
            if self.follow is not None:
                await self.follow()
        finally:
            self._pending.discard(address)
        log.info("Escrow registered", address=address, pool=escrow.pool)
        return escrow

    async def _discover(self, address: str, secret_key: str | None,
                        instance: dict[str, Any] | None) -> tuple[Escrow, Notes, int]:
        try:
            if secret_key or instance:
                await self.reader.pxe.register_contract(contract_instance(address, instance), secret_key)
            escrow = await self.reader.discover(address, bool(secret_key), int(time.time()))
            # The block before the notes, as a sync does: the notes are at least as new as the stamp.
            block = await self.reader.pxe.block_number()
            notes = await self.reader.read_notes(address, escrow.pool)
        except PxeUnreachable as exc:
            self.pxe_reachability.mark(False, scrub(str(exc), secret_key))
            raise PxeUnavailable("PXE unreachable") from None
        except (PxeReverted, PxeInvalidInput) as exc:
            self.pxe_reachability.mark(True)
            reason = exc.reason if isinstance(exc, PxeReverted) else str(exc)
            raise EscrowRejected(scrub(reason, secret_key) or "PXE rejected the escrow") from None
        except PxeError as exc:
            raise PxeUnavailable(f"PXE error: {scrub(str(exc), secret_key)}") from None
        self.pxe_reachability.mark(True)
        return escrow, notes, block

    async def remove(self, address: str) -> Escrow:
        address = normalize_address(address)
        if self.follow is not None:
            await self.follow()
        async with self.write_lock:
            escrow = self.escrows.get(address)
            if escrow is None:
                raise EscrowNotFound(f"Escrow {address} is not registered")
            removed = RemovedPosition(address, escrow.collateral_asset, escrow.debt_asset, self.index.next_version())
            removed = await self.store.save_removal(removed, self.index.allocated)
            if not self.store.shared:
                del self.escrows[address]
                self.index.remove(removed)
        if self.follow is not None:
            await self.follow()
        log.info("Escrow removed", address=address, pool=escrow.pool)
        return escrow
