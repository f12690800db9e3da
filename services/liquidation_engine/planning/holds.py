"""What holds an escrow back from a liquidation: one attempt at a time (InFlight), a
cooldown after a failure (Cooldowns), and a fresh read after a change (Rereads)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from services.liquidation_engine.planning.evaluate import Finding


@dataclass
class InFlight:
    """Escrows with an attempt between choice and final receipt, and the debt tokens their sent
    transactions will still take from the liquidator's balance."""

    escrows: set[str] = field(default_factory=set)
    reserved: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.escrows)

    def __contains__(self, escrow: object) -> bool:
        return escrow in self.escrows

    def lock(self, escrow: str) -> None:
        self.escrows.add(escrow)

    def unlock(self, escrow: str) -> None:
        self.escrows.discard(escrow)

    def reserve(self, token: str, amount: int) -> None:
        self.reserved[token] = self.reserved.get(token, 0) + amount

    def release(self, token: str, amount: int) -> None:
        self.reserved[token] = max(0, self.reserved.get(token, 0) - amount)

    def available(self, balances: dict[str, int]) -> dict[str, int]:
        return {token: amount - self.reserved.get(token, 0) for token, amount in balances.items()}


QUICK_RETRIES = 3


class Cooldowns:
    """Exponential backoff per escrow after failed or skipped attempts; a success clears it."""

    def __init__(self, base: float, maximum: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.base = base
        self.maximum = maximum
        self._clock = clock
        self._failures: dict[str, int] = {}
        self._until: dict[str, float] = {}
        self._quick: dict[str, int] = {}

    def blocked(self, escrow: str) -> bool:
        until = self._until.get(escrow)
        if until is None:
            return False
        if self._clock() >= until:
            del self._until[escrow]
            return False
        return True

    def next_delay(self, escrow: str) -> float:
        """The cooldown the escrow's next failure starts (written to the database for every engine)."""
        count = self._failures.get(escrow, 0) + 1
        return min(self.maximum, self.base * 2.0 ** min(count - 1, 32))

    def failed(self, escrow: str) -> float:
        """Start (or lengthen) the escrow's cooldown; returns its length in seconds."""
        delay = self.next_delay(escrow)
        self._failures[escrow] = self._failures.get(escrow, 0) + 1
        self._until[escrow] = self._clock() + delay
        return delay

    def quick_retry(self, escrow: str) -> bool:
        """Whether a price-mismatch failure may be retried at once: QUICK_RETRIES in a row, then it cools down."""
        count = self._quick.get(escrow, 0) + 1
        self._quick[escrow] = count
        return count <= QUICK_RETRIES

    def succeeded(self, escrow: str) -> None:
        self._failures.pop(escrow, None)
        self._until.pop(escrow, None)
        self._quick.pop(escrow, None)

    def clear(self) -> None:
        self._failures.clear()
        self._until.clear()
        self._quick.clear()


class Rereads:
    """Escrows whose position must be read again before they are considered: after a success, an
    interrupted send, or an unknown outcome. Satisfied by our own PXE read or by a newer monitor version."""

    def __init__(self) -> None:
        self._since: dict[str, int] = {}

    def require(self, escrow: str, known_version: int) -> None:
        self._since[escrow] = max(known_version, self._since.get(escrow, known_version))

    def done(self, escrow: str) -> None:
        self._since.pop(escrow, None)

    def pending(self, escrow: str, current_version: int) -> bool:
        since = self._since.get(escrow)
        if since is None:
            return False
        if current_version > since:
            del self._since[escrow]
            return False
        return True

    def __len__(self) -> int:
        return len(self._since)


def sort_out(ordered: list[Finding], in_flight: InFlight, cooldowns: Cooldowns,
             rereads: Rereads) -> tuple[list[Finding], list[Finding]]:
    """The findings that may be liquidated now, and those whose escrow must be re-read first;
    escrows in flight or cooling down are left out of both."""
    eligible: list[Finding] = []
    to_reread: list[Finding] = []
    for finding in ordered:
        escrow = finding.position.escrow
        if escrow in in_flight or cooldowns.blocked(escrow):
            continue
        if rereads.pending(escrow, finding.position.version):
            to_reread.append(finding)
        else:
            eligible.append(finding)
    return eligible, to_reread
