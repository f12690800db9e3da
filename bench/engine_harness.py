"""What the engine benchmark runs on: the dev PXE as a process, the prices both it and the engine
read (on a local chain, or a static table for both), servers on loopback, and a clock on the sends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any

import httpx
import uvicorn

from bench.dev_pxe import dev_pxe_process
from devnet.static_prices import StaticPrices
from services.liquidation_engine.bundles import Sent
from services.liquidation_engine.service import LiquidationEngine
from shared.feeds.onchain_price import OnChainPrice


def engine_dev_pxe(rpc_url: str | None, oracle: str | None) -> AbstractContextManager[str]:
    """The dev PXE the engine bench liquidates through, reading the oracle on the local chain when there is one."""
    on_chain = ["--rpc-url", rpc_url, "--oracle-address", oracle] if rpc_url and oracle else []
    return dev_pxe_process("--block-time", "0.2", "--log-level", "warning", *on_chain)


class Oracle:
    """The prices both the dev PXE and the engine see: on anvil, or a static table for both."""

    def __init__(self) -> None:
        self.chain: Any = None
        self.oracle: Any = None
        self.local: Any = None
        self.static = StaticPrices()
        self.admin_url = ""
        self.observed_at = 0  # the oracle skips an observation not newer than the stored one

    async def start_chain(self) -> tuple[str, str]:
        from devnet.chain.local import start_local_chain
        from services.price_service.evm.chain import Chain, TxSender
        from services.price_service.evm.oracle import PriceOracle, deploy_oracle

        self.local = start_local_chain()
        self.chain = await Chain.connect(self.local.url)
        deployer, updater = TxSender(self.chain, self.local.keys[0]), TxSender(self.chain, self.local.keys[1])
        address = await deploy_oracle(self.chain, deployer, updater.address)
        self.oracle = PriceOracle(self.chain, address, updater)
        return self.local.url, address

    async def set(self, prices: dict[str, int]) -> None:
        now = int(time.time())
        if self.oracle is not None:
            self.observed_at = max(now, self.observed_at + 1)
            await self.oracle.set_prices({s: (p, self.observed_at) for s, p in prices.items()})
            return
        self.static.table.update({s: OnChainPrice(p, now) for s, p in prices.items()})
        await rpc(self.admin_url, "dev_setPrices", [{s: str(p) for s, p in prices.items()}])

    async def close(self) -> None:
        if self.chain is not None:
            await self.chain.close()
        if self.local is not None:
            self.local.stop()


async def rpc(url: str, method: str, params: list[Any]) -> Any:
    async with httpx.AsyncClient(timeout=600) as client:
        r = await client.post(f"{url}/", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    body = r.json()
    if body.get("error"):
        raise RuntimeError(f"{method}: {body['error']}")
    return body["result"]


@asynccontextmanager
async def serving(app: Any, port: int) -> AsyncIterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            raise SystemExit("a server did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class SendClock:
    """Times the engine's transactions: when the first is handed to the PXE (`pxe_proveTx`: its decision is
    made and the request is on its way) and when each one is sent (its hash recorded, `pxe_sendProvenTx`
    answered), counting the liquidations each carries. The dev PXE runs the liquidations before it answers
    the proof, as a real PXE simulates and proves them, so the acknowledgement times the PXE too."""

    def __init__(self, engine: LiquidationEngine) -> None:
        self.dispatched: list[float] = []
        self.times: list[float] = []
        self._target = 0
        self._reached = asyncio.Event()
        for client in engine.gateways.send.clients:
            original = client.prove_tx

            async def timed(*args: Any, _original: Any = original, **kwargs: Any) -> str:
                self.dispatched.append(time.perf_counter())
                return str(await _original(*args, **kwargs))

            client.prove_tx = timed  # type: ignore[method-assign]
        on_sent = engine.sender.bundles.on_sent

        def sent(item: Sent) -> None:
            self._acknowledged(len(item.attempts))
            on_sent(item)

        engine.sender.bundles.on_sent = sent

    def _acknowledged(self, count: int) -> None:
        now = time.perf_counter()
        self.times.extend([now] * count)
        if len(self.times) >= self._target:
            self._reached.set()

    def arm(self, count: int) -> None:
        self.dispatched.clear()
        self.times.clear()
        self._target = count
        self._reached.clear()

    async def wait(self, timeout: float = 120) -> tuple[float, float, float]:
        """(first dispatched, first acknowledged, last acknowledged) of the armed batch."""
        await asyncio.wait_for(self._reached.wait(), timeout)
        return self.dispatched[0], self.times[0], self.times[-1]
