"""The development PXE in nocom-v1 mode: the shared JSON-RPC server (devnet/pxe/server.py) over NocomState.

nocom-v1 keeps its prices in its own MockPriceFeed contract, inside this PXE's world: a tx is
simulated and mined against the feed as it then is, never against an external price source.
"""

from __future__ import annotations

from typing import Any

from devnet.pxe.nocom_v1.admin_methods import NocomAdminMethods
from devnet.pxe.nocom_v1.state import NocomState
from devnet.pxe.nocom_v1.transactions import NocomTx
from devnet.pxe.server import DevPxe
from devnet.pxe.txs import Tx
from shared.logging import get_logger

log = get_logger()


class NocomDevPxe(NocomAdminMethods, DevPxe):
    state: NocomState

    def __init__(self, state: NocomState | None = None, **options: Any) -> None:
        super().__init__(state or NocomState(), **options)

    async def produce_block(self) -> int:
        """Mines every tx pending now, in order, each against the world (and the feed) the block sees."""
        batch = list(self.state.pending)
        block = self.state.seal_block(batch)
        for tx in batch:
            log.info("Dev PXE transaction mined", txHash=tx.hash, status=tx.status, error=tx.error, blockNumber=block)
        return block

    async def _simulate(self, tx: Tx) -> None:
        assert isinstance(tx, NocomTx)
        self.state.simulate_tx(tx, self.now())
