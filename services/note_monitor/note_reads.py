"""The escrows' notes, read from the PXE's synced note store: one `pxe_getNotes` per pool and gateway.

A real PXE runs one job at a time. Reading an escrow by simulation costs two jobs (its private state
synced, then the pool's `get_collateral_and_debt`: 0.58 s on a real node), so one PXE kept about 100
escrows within a 60 s sync. `pxe_getNotes` syncs the pool's private state once, then reads the note store:
one job for all of a pool's escrows on that gateway (docs/pxe-jsonrpc.md).

The call is not scoped to the escrows this monitor syncs. A real PXE refuses a whole call one of whose
scopes it holds no key for ("Trying to get incoming notes of a scope that is not in the PXE database",
Aztec's note store), so after a gateway lost one escrow's key a scoped read would lose every escrow read
with it; and each call is a job, so one per pool is the fewest. The gateway answers the notes of every
escrow it holds in that pool (each escrow lives on one gateway: read_gateways.py) and the monitor keeps
those it syncs. A gateway that does not know `pxe_getNotes` (-32601) is read by simulation from then on,
SYNC_BATCH_SIZE escrows per JSON-RPC batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from services.note_monitor.escrows import Escrow
from services.note_monitor.read_gateways import ReadGateways
from shared.logging import get_logger
from shared.pxe.errors import PxeError, PxeMethodNotFound, PxeUnreachable
from shared.pxe.notes import Notes, escrow_notes

log = get_logger()

Result = Notes | PxeError


class NotesMissing(PxeError):
    """The PXE's note store holds no note (or not both notes) of this escrow."""


def _chunks(items: Sequence[Escrow], size: int) -> list[list[Escrow]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def _by_pool(escrows: Sequence[Escrow]) -> list[list[Escrow]]:
    pools: dict[str, list[Escrow]] = {}
    for escrow in escrows:
        pools.setdefault(escrow.pool, []).append(escrow)
    return list(pools.values())


class NoteReads:
    def __init__(self, gateways: ReadGateways, concurrency: int, batch_size: int) -> None:
        self.gateways = gateways
        self.concurrency = concurrency  # calls in flight at once, all gateways together
        self.batch_size = batch_size  # escrows per JSON-RPC batch when read by simulation

    async def read(self, escrows: Sequence[Escrow], down: dict[str, PxeUnreachable] | None = None) -> dict[str, Result]:
        """Every escrow's notes, or the PxeError that kept them (PxeUnreachable: its gateway did not answer).
        `down` collects the gateways found down, and why."""
        results: dict[str, Result] = {}
        down = {} if down is None else down
        jobs: list[tuple[str, list[Escrow]]] = []
        for name, group in self.gateways.split(escrows).items():
            chunks = _by_pool(group) if self.gateways.note_store[name] else _chunks(group, self.batch_size)
            jobs += [(name, chunk) for chunk in chunks]
        turns = asyncio.Semaphore(self.concurrency)
        await asyncio.gather(*(self._job(turns, name, chunk, results, down) for name, chunk in jobs))
        return results

    async def _job(self, turns: asyncio.Semaphore, name: str, chunk: list[Escrow], results: dict[str, Result],
                   down: dict[str, PxeUnreachable]) -> None:
        async with turns:
            if name in down:  # stop early rather than wait on a gateway that is gone, call after call
                results.update(dict.fromkeys((e.address for e in chunk), down[name]))
                return
            client = self.gateways.client(name)
            try:
                results.update(await self._read_chunk(name, client, chunk))
            except PxeUnreachable as exc:
                if name not in down and not await client.status():
                    down[name] = exc
                results.update(dict.fromkeys((e.address for e in chunk), exc))
            except PxeError as exc:  # the whole call refused (an unknown pool, a malformed answer)
                results.update(dict.fromkeys((e.address for e in chunk), exc))

    async def _read_chunk(self, name: str, client: Any, chunk: list[Escrow]) -> dict[str, Result]:
        if self.gateways.note_store[name]:
            try:
                return await self._from_store(client, chunk)
            except PxeMethodNotFound:
                self.gateways.note_store[name] = False
                log.warning("PXE notes read by simulation", gateway=name,
                            reason="the PXE does not know pxe_getNotes: two simulations per escrow from now on")
        out: dict[str, Result] = {}
        for batch in _chunks(chunk, self.batch_size):
            answers = await client.notes_many([(e.address, e.pool) for e in batch])
            out.update(zip((e.address for e in batch), answers, strict=True))
        return out

    async def _from_store(self, client: Any, chunk: list[Escrow]) -> dict[str, Result]:
        """One pool's escrows, in one pxe_getNotes."""
        pool = chunk[0].pool
        found = escrow_notes(await client.get_notes(pool))
        out: dict[str, Result] = {}
        for escrow in chunk:
            result = found.get(escrow.address)
            if isinstance(result, Notes):
                out[escrow.address] = result
            else:  # none of its notes, or only one of the two
                out[escrow.address] = NotesMissing(str(result) if result is not None else
                                                   f"the PXE holds no note of escrow {escrow.address} in pool {pool}")
        return out
