"""The development PXE in nocom-v1 mode: the same JSON-RPC server (server.py) over NocomState.

nocom-v1 keeps its prices in its own MockPriceFeed contract, inside this PXE's world: a tx is
simulated and mined against the feed as it then is, never against an external price source.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from devnet.pxe.nocom_admin_methods import NocomAdminMethods
from devnet.pxe.nocom_state import NocomState
from devnet.pxe.nocom_transactions import NocomTx
from devnet.pxe.prices import protocol_prices
from devnet.pxe.server import DevPxe
from shared.logging import get_logger

log = get_logger()


class NocomDevPxe(NocomAdminMethods, DevPxe):
    state: NocomState  # type: ignore[assignment]

    def __init__(
        self,
        state: NocomState | None = None,
        *,
        block_time: float = 0.2,
        latency_ms: float = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # The price table DevPxe keeps is never read in this mode: the feed is part of the state.
        super().__init__(state or NocomState(), protocol_prices(), block_time=block_time, latency_ms=latency_ms,  # type: ignore[arg-type]
                         clock=clock)

    async def produce_block(self) -> int:
        """Mines every tx pending now, in order, each against the world (and the feed) the block sees."""
        batch = list(self.state.pending)
        block = self.state.seal_block(batch)
        for tx in batch:
            log.info("Dev PXE transaction mined", txHash=tx.hash, status=tx.status, error=tx.error, blockNumber=block)
        return block

    async def _simulate(self, tx: NocomTx) -> None:  # type: ignore[override]
        self.state.simulate_tx(tx, self.now())
