"""What the next check must look at: price notifications, settled escrows, or everything.

Requests arriving while a check runs are coalesced into the next one (never queued without
bound): assets and escrows are sets, and past a limit the next check is simply a full one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_PENDING_ASSETS = 1000  # beyond this many distinct assets waiting, the next check is a full sweep
MAX_PENDING_ESCROWS = 10_000  # settled escrows waiting for a recheck; beyond this, a full check


@dataclass
class Pending:
    assets: set[str] = field(default_factory=set)
    escrows: set[str] = field(default_factory=set)
    everything: bool = False
    accepted_at: float | None = None  # monotonic time of the first notification, for the latency metric


class CheckRequests:
    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake
        self._pending = Pending()

    def notify(self, assets: list[str], accepted_at: float | None = None) -> None:
        """A price notification."""
        pending = self._pending
        if len(pending.assets) + len(assets) > MAX_PENDING_ASSETS:
            pending.everything = True
        else:
            pending.assets.update(assets)
        if pending.accepted_at is None:
            pending.accepted_at = accepted_at if accepted_at is not None else time.monotonic()
        self._wake()

    def everything(self) -> None:
        """Look at every position again soon, without a latency sample."""
        self._pending.everything = True
        self._wake()

    def recheck(self, escrow: str) -> None:
        """An attempt on this escrow settled: look at it again soon. Only it: a settled burst of a
        hundred liquidations must not become a hundred scans of every position."""
        pending = self._pending
        if len(pending.escrows) >= MAX_PENDING_ESCROWS:
            pending.everything = True
        else:
            pending.escrows.add(escrow)
        self._wake()

    def take(self) -> Pending:
        taken, self._pending = self._pending, Pending()
        return taken
