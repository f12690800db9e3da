"""One nonce manager per signing account per chain (not per endpoint: failover keeps the count).

The node's pending count is read before every new nonce is handed out. A cached nonce ahead of
it means the chain went backwards (a restarted dev chain, a reorg) or the pool dropped ours: the
cache is dropped and counted, never used; sending into that gap is how a stale price once landed
minutes after it was given up on.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field


@dataclass
class NonceManager:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_nonce: int | None = None
    resyncs: int = 0  # times the cache was ahead of the chain and dropped
    inflight: set[int] = field(default_factory=set)  # nonces a send of this process is seeing through
    orphans: set[int] = field(default_factory=set)  # nonces given up without a mined outcome: resolve first

    def take(self, pending: int) -> int:
        """The nonce for a new transaction, given the node's pending transaction count."""
        if self.next_nonce is not None and self.next_nonce > pending:
            self.resyncs += 1
            self.next_nonce = pending
        elif self.next_nonce is None or self.next_nonce < pending:
            self.next_nonce = pending  # another process (or a cancel) used nonces: follow the chain
        return self.next_nonce

    def sent(self, nonce: int) -> None:
        self.next_nonce = nonce + 1
        self.inflight.add(nonce)

    def forget(self) -> None:
        """After any chain error: re-read the count from the node before the next send."""
        self.next_nonce = None


# event loop → (chain_id, address) → manager. An asyncio.Lock belongs to one loop, and a new loop
# (a restarted service, a new test) must start from the chain's own count anyway.
_MANAGERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[int, str], NonceManager]] = (
    weakref.WeakKeyDictionary()
)


def nonce_manager(chain_id: int, address: str) -> NonceManager:
    per_loop = _MANAGERS.setdefault(asyncio.get_running_loop(), {})
    key = (chain_id, address.lower())
    manager = per_loop.get(key)
    if manager is None:
        manager = per_loop[key] = NonceManager()
    return manager
