"""The development PXE in `reference` mode: the shared JSON-RPC server (devnet/pxe/server.py) over
ReferenceState, with a liquidation's asserted prices checked against the PriceOracle on the EVM
(or the dev_setPrices table when there is none), at simulation and again when mined."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from devnet.pxe.reference.admin_methods import ReferenceAdminMethods
from devnet.pxe.reference.prices import BATCH_PRICES, PriceUnavailable, ProtocolPrices, protocol_prices
from devnet.pxe.reference.state import ReferenceState
from devnet.pxe.rpc_errors import ExecutionError
from devnet.pxe.server import DevPxe
from devnet.pxe.txs import Tx
from shared.logging import get_logger

log = get_logger()


class ReferenceDevPxe(ReferenceAdminMethods, DevPxe):
    state: ReferenceState

    def __init__(self, state: ReferenceState | None = None, prices: ProtocolPrices | None = None, **options: Any) -> None:
        super().__init__(state or ReferenceState(), **options)
        self.prices = prices or protocol_prices()
        self._prices_down = False  # log an outage once, not every block

    async def close(self) -> None:
        await self.prices.close()

    async def answer_batch(self, body: list[Any]) -> Response:
        # Within one batch the oracle is read once per symbol (prices.py).
        token = BATCH_PRICES.set({})
        try:
            return await super().answer_batch(body)
        finally:
            BATCH_PRICES.reset(token)

    async def produce_block(self) -> int:
        """Mines every tx pending now; when the prices cannot be read they wait for the next block."""
        batch = list(self.state.pending)
        symbols = set().union(*(self.state.price_symbols(tx) for tx in batch)) if batch else set()
        try:
            prices = await self.prices.get_prices(symbols) if symbols else {}
        except PriceUnavailable as exc:
            if not self._prices_down:
                log.warning("Dev PXE blocks delayed", reason=str(exc), pending=len(batch))
            self._prices_down = True
            return self.state.block_number
        if self._prices_down and symbols:
            log.info("Dev PXE blocks resumed", pending=len(batch))
            self._prices_down = False
        block = self.state.seal_block(batch, prices, self.now())
        for tx in batch:
            log.info("Dev PXE transaction mined", txHash=tx.hash, status=tx.status, error=tx.error, blockNumber=block)
        return block

    async def _simulate(self, tx: Tx) -> None:
        try:
            prices = await self.prices.get_prices(self.state.price_symbols(tx))
        except PriceUnavailable as exc:
            raise ExecutionError(str(exc)) from None
        self.state.simulate_tx(tx, prices, self.now())
