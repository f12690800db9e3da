"""Escrows their PXE cannot read: their notes' senders registered again, once, then what is wrong in words.

A PXE finds a note only once it knows the note's sender (docs/pxe-jsonrpc.md, "No note"). A gateway
restarted on an empty store has forgotten the senders and the keys it was given: the monitor registers
each escrow's senders (its owner, its pool) with it again, which it can, and reads the escrow again.
An escrow still without notes is one whose key the PXE lost: the monitor never keeps a key, so it says
so (the log's `Escrow unreadable`, GET /escrows' `problem`, /health) with what the operator must do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from services.note_monitor import problems as words
from services.note_monitor.escrows import Escrow
from services.note_monitor.note_reads import NotesMissing, Result
from services.note_monitor.read_gateways import ReadGateways
from shared.logging import get_logger
from shared.pxe.errors import PxeError, PxeMethodNotFound, PxeReverted, PxeUnreachable
from shared.pxe.notes import Notes

log = get_logger()

LOGGED_PER_SYNC = 10  # so a gateway that lost a large book cannot flood the log; GET /escrows lists them all
ProblemKind = Literal["key-lost", "no-note", "read-failed"]


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    words: str


def is_missing(result: Result | None) -> bool:
    """The PXE answered, and holds no note of the escrow (or Noir said so, in its own words)."""
    return isinstance(result, NotesMissing) or (isinstance(result, PxeReverted) and words.is_no_note(result.reason))


def senders_of(escrows: Iterable[Escrow]) -> list[str]:
    group = list(escrows)
    return list(dict.fromkeys([*(e.owner for e in group if e.owner), *(e.pool for e in group)]))


async def register_senders(client: Any, senders: Sequence[str], batch_size: int) -> None:
    """`pxe_registerSender` of each, in batches; a PXE that does not know the method finds notes without it."""
    for start in range(0, len(senders), batch_size):
        for error in await client.register_senders(list(senders[start:start + batch_size])):
            if error is not None and not isinstance(error, PxeMethodNotFound):
                raise error


class Recovery:
    def __init__(self, gateways: ReadGateways, batch_size: int) -> None:
        self.gateways = gateways
        self.batch_size = batch_size
        self.tried: set[str] = set()  # escrows whose senders were registered again since they last read
        self.problems: dict[str, Problem] = {}  # this monitor's escrows that its last sync could not read

    async def senders_again(self, escrows: Sequence[Escrow]) -> list[Escrow]:
        """Registers again the senders of the escrows not tried yet; returns those, to be read again."""
        fresh = [e for e in escrows if e.address not in self.tried]
        failed: set[str] = set()
        for name, group in self.gateways.split(fresh).items():
            try:
                await register_senders(self.gateways.client(name), senders_of(group), self.batch_size)
            except PxeError as exc:  # tried again at the next sync
                log.warning("Sender registration failed", gateway=name, escrows=len(group), error=str(exc)[:300])
                failed.update(e.address for e in group)
        fresh = [e for e in fresh if e.address not in failed]
        self.tried.update(e.address for e in fresh)
        return fresh

    def settle(self, escrows: Sequence[Escrow], results: dict[str, Result]) -> None:
        """The problems after a sync: one per escrow not read (an outage keeps the one it had)."""
        found: dict[str, Problem] = {}
        logged = 0
        for escrow in escrows:
            result = results.get(escrow.address)
            if result is None or isinstance(result, Notes):
                self.tried.discard(escrow.address)
                continue
            if isinstance(result, PxeUnreachable):
                if escrow.address in self.problems:
                    found[escrow.address] = self.problems[escrow.address]
                continue
            problem = self._problem(escrow, result)
            found[escrow.address] = problem
            if problem.kind != "read-failed" and self.problems.get(escrow.address) != problem:
                logged += 1
                if logged <= LOGGED_PER_SYNC:
                    log.error("Escrow unreadable", address=escrow.address, gateway=self.gateways.of(escrow),
                              problem=problem.kind, action=problem.words)
        self.problems = found
        self.tried &= {e.address for e in escrows}  # removed escrows, or another replica's now

    def _problem(self, escrow: Escrow, result: PxeError) -> Problem:
        gateway = self.gateways.of(escrow)
        reason = result.reason if isinstance(result, PxeReverted) else None
        if not is_missing(result):
            return Problem("read-failed", f"the last sync could not read it: {str(result)[:300]}")
        if escrow.address not in self.tried:
            return Problem("no-note", words.notes_unreadable(escrow.address, escrow.pool, gateway, reason))
        if escrow.has_secret_key:
            return Problem("key-lost", words.key_lost(escrow.address, gateway))
        return Problem("no-note", words.never_keyed(escrow.address, gateway, reason))

    def counts(self) -> tuple[int, int]:
        """(escrows whose key their PXE lost, escrows whose notes it does not find otherwise)."""
        kinds = [p.kind for p in self.problems.values()]
        return kinds.count("key-lost"), kinds.count("no-note")
