"""liquidation-engine figures: reaction time from a price notification to the last liquidation sent,
against the naive path, and the cost of evaluating 100 000 positions.

    .venv/bin/python -m bench.bench_engine [--positions 100000] [--at-risk 100] [--rounds 7] [--naive-rounds 3]
                                           [--static-prices]

Prints figures and ratios; asserts nothing. The development PXE runs in a process of its own with no
injected latency; with anvil installed the PriceOracle lives on a local anvil chain and both the dev PXE
(checking asserted prices) and the engine read it there. The note monitor runs in this process, seeded
directly (its index), and the engine builds its copy through the monitor's HTTP API once.

Fast path (the engine): POST /price-update -> one incremental GET /positions -> one batched oracle read ->
evaluate the pair's positions with exact integers -> balance, authwit and send for each liquidatable one.
Naive path: pull every position over HTTP from the monitor, evaluate each with Decimal, then the same sends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from devnet.static_prices import StaticPrices
from services.liquidation_engine.app import create_app as create_engine_app
from services.liquidation_engine.checker import gc_paused
from services.liquidation_engine.planning.evaluate import Finding, InterestOffsets, in_priority_order, scan
from services.liquidation_engine.service import LiquidationEngine
from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.app import create_app as create_monitor_app
from services.note_monitor.settings import NoteMonitorSettings
from shared import money
from shared.evm.oracle import OnChainPrice
from shared.logging import configure_logging
from shared.positions import Position
from shared.settings import load_settings

API_KEY = "bench-key-7c2e9f4a1b8d3e6f0a5c2d9e8b7f6a1c"
LIQUIDATOR_KEY = "0x0bec4000000000000000000000000000000000000000000000000000000000b1"
E18 = 10**18
P8 = 10**8
HIGH, LOW = 60_000 * P8, 55_000 * P8
HEALTHY_DEBT, AT_RISK_DEBT = 40_000 * E18, 46_000 * E18  # hf 1.1 and 0.956 at LOW; 1.2 and 1.04 at HIGH


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def dev_pxe_process(rpc_url: str | None, oracle: str | None) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "devnet.pxe", "--port", str(port), "--block-time", "0.2", "--log-level", "warning"]
    if rpc_url and oracle:
        cmd += ["--rpc-url", rpc_url, "--oracle-address", oracle]
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=out)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/status", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the dev PXE did not start: {Path(out.name).read_text()[-2000:]}")
                time.sleep(0.05)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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
        from shared.evm.chain import Chain, TxSender
        from shared.evm.oracle import PriceOracle, deploy_oracle

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
    """Times every successful pxe_sendTx of the engine (single or batched); `wait(n)` returns when n are sent."""

    def __init__(self, engine: LiquidationEngine) -> None:
        self.times: list[float] = []
        self._target = 0
        self._reached = asyncio.Event()
        original = engine.pxe.send_tx

        async def timed(*args: Any, **kwargs: Any) -> str:
            tx_hash = await original(*args, **kwargs)
            self.times.append(time.perf_counter())
            if len(self.times) >= self._target:
                self._reached.set()
            return tx_hash

        engine.pxe.send_tx = timed  # type: ignore[method-assign]
        original_many = engine.pxe.send_txs

        async def timed_many(*args: Any, **kwargs: Any) -> list[Any]:
            results = await original_many(*args, **kwargs)
            now = time.perf_counter()
            self.times.extend(now for r in results if isinstance(r, str))
            if len(self.times) >= self._target:
                self._reached.set()
            return results

        engine.pxe.send_txs = timed_many  # type: ignore[method-assign]

    def arm(self, count: int) -> None:
        self.times.clear()
        self._target = count
        self._reached.clear()

    async def wait(self, timeout: float = 120) -> tuple[float, float]:
        """(first, last) send times of the armed batch."""
        await asyncio.wait_for(self._reached.wait(), timeout)
        return self.times[0], self.times[-1]


def naive_evaluate(items: list[dict[str, Any]], collateral_price: int, debt_price: int, now: int) -> list[Finding]:
    """What a straightforward implementation does: Decimal health factors from the wire strings."""
    found = []
    cp, dp = Decimal(collateral_price), Decimal(debt_price)
    for item in items:
        principal = int(item["debtPrincipal"])
        debt = money.total_debt(principal, int(item["debtEpoch"]), now)
        if debt <= 0:
            continue
        hf = (Decimal(item["collateralAmount"]) * cp * Decimal(item["liquidationThresholdBps"])) / (Decimal(debt) * dp * 10_000)
        if hf < 1:
            p = Position.from_wire(item)
            found.append(Finding(p, debt, collateral_price, debt_price))
    return found


async def pull_all(http: httpx.AsyncClient, url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    offset = 0
    while True:
        r = await http.get(f"{url}/positions", params={"limit": 5000, "offset": offset}, headers={"X-API-Key": API_KEY})
        body = json.loads(r.content, parse_float=Decimal)
        items.extend(body["positions"])
        offset += len(body["positions"])
        if not body["positions"] or offset >= body["total"]:
            return items


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def main(args: argparse.Namespace) -> None:
    configure_logging("bench", "warning")
    oracle = Oracle()
    use_chain = not args.static_prices
    if use_chain:
        try:
            rpc_url, oracle_address = await oracle.start_chain()
        except Exception as exc:  # no anvil nor py-evm chain: fall back to static prices
            print(f"no local chain ({exc}); using static prices")
            use_chain, rpc_url, oracle_address = False, None, None
    else:
        rpc_url, oracle_address = None, None
    try:
        with dev_pxe_process(rpc_url, oracle_address) as pxe_url, tempfile.TemporaryDirectory() as tmp:
            oracle.admin_url = pxe_url
            await run(args, pxe_url, oracle, rpc_url or "http://127.0.0.1:1", oracle_address or "0x" + "00" * 20,
                      use_chain, Path(tmp))
    finally:
        await oracle.close()


async def run(args: argparse.Namespace, pxe_url: str, oracle: Oracle, rpc_url: str, oracle_address: str,
              use_chain: bool, tmp: Path) -> None:
    await oracle.set({"BTC": HIGH, "USDC": P8})
    btc = await rpc(pxe_url, "dev_createToken", ["BTC"])
    usdc = await rpc(pxe_url, "dev_createToken", ["USDC"])
    pool = await rpc(pxe_url, "dev_createPool", [btc, usdc, 7500, 8000])
    t = time.perf_counter()
    healthy = await rpc(pxe_url, "dev_createEscrows", [pool, args.positions - args.at_risk, str(E18), str(HEALTHY_DEBT), {"registered": True}])
    risky = await rpc(pxe_url, "dev_createEscrows", [pool, args.at_risk, str(E18), str(AT_RISK_DEBT), {"registered": True}])
    risky_addresses = [e["address"] for e in risky]
    epochs = {a: int((await rpc(pxe_url, "dev_getPosition", [a]))["loanEpoch"]) for a in risky_addresses[:1]}
    epoch = next(iter(epochs.values()))
    print(f"seeded {len(healthy) + len(risky)} escrows in the dev PXE in {time.perf_counter() - t:.1f} s "
          f"(prices {'on anvil' if use_chain else 'static'})")

    monitor_settings = load_settings(NoteMonitorSettings, liquidation_api_key=API_KEY, pxe_url=pxe_url, sync_interval=10**6,
                                     database_url=f"sqlite+aiosqlite:///{tmp}/monitor.db")
    monitor_app = create_monitor_app(monitor_settings)
    async with monitor_app.router.lifespan_context(monitor_app), serving(monitor_app, free_port()) as monitor_url:
        index = monitor_app.state.service.index
        now = int(time.time())

        block = [1]  # stamped as the monitor would: the PXE block the notes are at least as new as

        def put(address: str, debt: int, collateral: int = E18) -> None:
            index.put(Position(address, pool, "BTC", btc, collateral, "USDC", usdc, debt, epoch, 8000, now, block[0],
                               index.next_version()))

        for e in healthy:
            put(e["address"], HEALTHY_DEBT)
        for a in risky_addresses:
            put(a, AT_RISK_DEBT)

        settings = load_settings(
            LiquidationEngineSettings, liquidation_api_key=API_KEY, pxe_url=pxe_url, note_monitor_url=monitor_url,
            rpc_url=rpc_url, oracle_address=oracle_address, liquidator_private_key=LIQUIDATOR_KEY, sweep_interval=10**6,
            database_url=f"sqlite+aiosqlite:///{tmp}/engine.db", log_level="warning",
        )
        engine = LiquidationEngine(settings, price_reader=None if use_chain else oracle.static)
        engine_app = create_engine_app(settings, engine)
        t = time.perf_counter()
        async with engine_app.router.lifespan_context(engine_app), serving(engine_app, free_port()) as engine_url:
            await engine.checks.wait_for_run(0)
            print(f"engine copy built through the monitor's API once: {len(engine.positions)} positions "
                  f"in {time.perf_counter() - t:.1f} s")
            assert engine.sender.liquidator
            await rpc(pxe_url, "dev_mint", [usdc, engine.sender.liquidator, str(10**12 * E18)])
            clock = SendClock(engine)

            async def reset() -> None:
                await engine.follower.idle(60)
                await oracle.set({"BTC": HIGH})
                await asyncio.gather(*(rpc(pxe_url, "dev_setPosition", [a, str(E18), str(AT_RISK_DEBT), epoch])
                                       for a in risky_addresses))
                block[0] = int(await rpc(pxe_url, "node_getBlockNumber", []))
                for a in risky_addresses:
                    put(a, AT_RISK_DEBT)
                await engine.positions.refresh()  # the engine would see these in any check; keep them out of the timing
                engine.cooldowns.clear()

            fast: list[float] = []
            fast_first: list[float] = []
            naive_first: list[float] = []
            async with httpx.AsyncClient(timeout=60) as http:
                body = {"updates": [{"asset": "BTC", "price": "55000", "previousPrice": "60000", "timestamp": now,
                                     "txHash": "0x" + "ab" * 32}]}
                for _ in range(args.rounds):
                    await reset()
                    await oracle.set({"BTC": LOW})
                    clock.arm(args.at_risk)
                    start = time.perf_counter()
                    r = await http.post(f"{engine_url}/price-update", json=body, headers={"X-API-Key": API_KEY})
                    assert r.status_code == 202
                    first, last = await clock.wait()
                    fast_first.append(first - start)
                    fast.append(last - start)

                naive: list[float] = []
                for _ in range(args.naive_rounds):
                    await reset()
                    await oracle.set({"BTC": LOW})
                    clock.arm(args.at_risk)
                    start = time.perf_counter()
                    with gc_paused():  # the same collector policy as the engine's check
                        items = await pull_all(http, monitor_url)
                        found = naive_evaluate(items, LOW, P8, int(time.time()))
                        engine.follower.follow_all(await engine.sender.send(in_priority_order(found), None))
                    first, last = await clock.wait()
                    naive_first.append(first - start)
                    naive.append(last - start)
                await reset()  # the at-risk positions back, for the evaluation figures below

            positions = list(engine.positions.positions(("BTC", "USDC")))
            evaluations = []
            for _ in range(7):
                t = time.perf_counter()
                found, checked = scan(positions, LOW, P8, int(time.time()), InterestOffsets())
                evaluations.append(time.perf_counter() - t)
            items = [{"escrow": p.escrow, "pool": p.pool, "collateralAsset": "BTC", "collateralToken": p.collateral_token,
                      "collateralAmount": str(p.collateral_amount), "debtAsset": "USDC", "debtToken": p.debt_token,
                      "debtPrincipal": str(p.debt_principal), "debtEpoch": p.debt_epoch, "liquidationThresholdBps": 8000,
                      "version": p.version} for p in positions]
            t = time.perf_counter()
            naive_eval = naive_evaluate(items, LOW, P8, int(time.time()))
            decimal_eval = time.perf_counter() - t
            succeeded = (await engine.store.counts())["succeeded"]

    fast_median, naive_median = statistics.median(fast), statistics.median(naive)
    first_fast, first_naive = statistics.median(fast_first), statistics.median(naive_first)
    eval_median = statistics.median(evaluations)
    print()
    print(f"positions {args.positions}, liquidatable after the notification {args.at_risk}, liquidations succeeded {succeeded}")
    print(f"notification -> last liquidation tx sent (engine):  median {ms(fast_median)}  "
          f"[min {ms(min(fast))}, max {ms(max(fast))}, {len(fast)} rounds]  goal < 50 ms: {'met' if fast_median < 0.05 else 'NOT met'}")
    print(f"naive (pull all over HTTP + Decimal, same sends):     median {ms(naive_median)}  "
          f"[min {ms(min(naive))}, max {ms(max(naive))}, {len(naive)} rounds]")
    print(f"speed-up: {naive_median / fast_median:.1f}x  goal >= 10x: {'met' if naive_median / fast_median >= 10 else 'NOT met'}")
    print(f"notification -> FIRST liquidation tx sent (the decision): engine median {ms(first_fast)}, "
          f"naive median {ms(first_naive)}, {first_naive / first_fast:.1f}x")
    print(f"sending {args.at_risk} liquidations (authwit + sendTx each, against the dev PXE): "
          f"engine {ms(fast_median - first_fast)} after the first, {ms((fast_median - first_fast) / max(1, args.at_risk - 1))} per liquidation")
    print(f"evaluate {len(positions)} positions (exact ints, cached interest): median {ms(eval_median)} "
          f"({checked} checked, {len(found)} liquidatable)  goal < 100 ms: {'met' if eval_median < 0.1 else 'NOT met'}")
    print(f"evaluate {len(positions)} positions with Decimal from wire strings: {ms(decimal_eval)} "
          f"({len(naive_eval)} liquidatable; {decimal_eval / eval_median:.1f}x slower)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.bench_engine")
    parser.add_argument("--positions", type=int, default=100_000)
    parser.add_argument("--at-risk", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--naive-rounds", type=int, default=3)
    parser.add_argument("--static-prices", action="store_true", help="no chain: the dev PXE and the engine share a price table")
    asyncio.run(main(parser.parse_args()))
