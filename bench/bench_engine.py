"""liquidation-engine figures at a million positions: a price notification to the first and the last of
100 liquidations sent, against the naive path in the same run; a full sweep against SWEEP_INTERVAL.

    .venv/bin/python -m bench.bench_engine [--positions 1000000] [--at-risk 100] [--rounds 7] [--naive-rounds 2]
                                           [--static-prices]

Prints figures and ratios; asserts nothing. The development PXE runs in a process of its own with no
injected latency and holds the at-risk escrows (the ones liquidated); the rest of the book is healthy
positions seeded straight into the note monitor's index (bench/book.py), which the engine copies
through the monitor's HTTP API once, as it does at start. With anvil installed the PriceOracle lives
on a local anvil chain and both the dev PXE (checking asserted prices) and the engine read it there.

Engine path: POST /price-update -> one incremental GET /positions -> the liquidation-price index picks
the positions whose liquidation price the move crossed -> the exact integer check -> balance, then the
liquidatable ones in bundles (authwits, pxe_proveTx, the hash recorded, pxe_sendProvenTx). The dev PXE
here has no cost model: bench/bench_engine_sends.py times the sends under a real PXE's costs.
Naive path: pull every position over HTTP from the monitor, evaluate each with Decimal, then the same sends.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.book import AT_RISK_DEBT, E18, HIGH, LOW, P8, THRESHOLD_BPS, healthy_positions
from bench.dev_pxe import free_port
from bench.engine_harness import Oracle, SendClock, engine_dev_pxe, rpc, serving
from bench.engine_report import Evaluation, Sweep, Timings, report
from bench.naive_path import naive_evaluate, pull_all, to_wire
from services.liquidation_engine.app import create_app as create_engine_app
from services.liquidation_engine.check_requests import Pending
from services.liquidation_engine.planning.evaluate import InterestOffsets, in_priority_order, scan
from services.liquidation_engine.service import LiquidationEngine
from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.app import create_app as create_monitor_app
from services.note_monitor.settings import NoteMonitorSettings
from shared.logging import configure_logging
from shared.memory import gc_paused
from shared.positions import Position
from shared.protocols import reference
from shared.settings import load_settings

API_KEY = "bench-key-7c2e9f4a1b8d3e6f0a5c2d9e8b7f6a1c"
LIQUIDATOR_KEY = "0x0bec4000000000000000000000000000000000000000000000000000000000b1"
EVALUATION_RUNS = 3


@dataclass
class World:
    """What the bench created in the dev PXE (one BTC/USDC pool, the at-risk escrows) and the book's size."""

    pxe_url: str
    btc: str
    usdc: str
    pool: str
    healthy: int
    risky: list[str]
    epoch: int


@dataclass
class MonitorIndex:
    """The note monitor's index, seeded directly with the world's positions (no sync)."""

    world: World
    index: Any
    now: int
    block: int = 1  # stamped as the monitor would: the PXE block the notes are at least as new as

    def put(self, address: str, debt: int, collateral: int = E18) -> None:
        w = self.world
        self.index.put(Position(address, w.pool, "BTC", w.btc, collateral, "USDC", w.usdc, debt, w.epoch, THRESHOLD_BPS,
                                self.now, self.block, self.index.next_version()))

    def put_all(self) -> None:
        w = self.world
        for position in healthy_positions(w.healthy, w.pool, w.btc, w.usdc, w.epoch, self.now, self.block,
                                          self.index.next_version):
            self.index.put(position)
        for address in self.world.risky:
            self.put(address, AT_RISK_DEBT)


@dataclass
class Rig:
    """The running engine over the world, with a clock on its sends."""

    engine: LiquidationEngine
    oracle: Oracle
    monitor: MonitorIndex
    clock: SendClock

    async def reset(self) -> None:
        """The at-risk positions back as a round starts them: in the dev PXE, the monitor and the engine's copy."""
        engine, w = self.engine, self.monitor.world
        await engine.follower.idle(60)
        await self.oracle.set({"BTC": HIGH})
        await asyncio.gather(*(rpc(w.pxe_url, "dev_setPosition", [a, str(E18), str(AT_RISK_DEBT), w.epoch])
                               for a in w.risky))
        self.monitor.block = int(await rpc(w.pxe_url, "node_getBlockNumber", []))
        for a in w.risky:
            self.monitor.put(a, AT_RISK_DEBT)
        await engine.positions.refresh()  # the engine would see these in any check; keep them out of the timing
        engine.cooldowns.clear()


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
        with engine_dev_pxe(rpc_url, oracle_address) as pxe_url, tempfile.TemporaryDirectory() as tmp:
            oracle.admin_url = pxe_url
            await run(args, pxe_url, oracle, rpc_url or "http://127.0.0.1:1", oracle_address or "0x" + "00" * 20,
                      use_chain, Path(tmp))
    finally:
        await oracle.close()


async def run(args: argparse.Namespace, pxe_url: str, oracle: Oracle, rpc_url: str, oracle_address: str,
              use_chain: bool, tmp: Path) -> None:
    world = await seed(args, pxe_url, oracle, use_chain)
    monitor_app = create_monitor_app(monitor_settings(pxe_url, tmp))
    async with monitor_app.router.lifespan_context(monitor_app), serving(monitor_app, free_port()) as monitor_url:
        monitor = MonitorIndex(world, monitor_app.state.service.index, int(time.time()))
        t = time.perf_counter()
        monitor.put_all()
        print(f"monitor index seeded with {args.positions} positions in {time.perf_counter() - t:.1f} s")
        settings = engine_settings(pxe_url, monitor_url, rpc_url, oracle_address, tmp)
        engine = LiquidationEngine(settings, price_reader=None if use_chain else oracle.static)
        engine_app = create_engine_app(settings, engine)
        started = time.perf_counter()
        async with engine_app.router.lifespan_context(engine_app), serving(engine_app, free_port()) as engine_url:
            rig = await ready_rig(engine, oracle, monitor, started)
            async with httpx.AsyncClient(timeout=60) as http:
                fast = await fast_rounds(rig, http, engine_url, args)
                naive = await naive_rounds(rig, http, monitor_url, args)
                await rig.reset()  # the at-risk positions back, for the evaluation figures below
                sweep = await sweeps(engine, LiquidationEngineSettings.model_fields["sweep_interval"].default)
            evaluation = evaluate_copy(engine)
            succeeded = (await engine.store.counts())["succeeded"]
    report(args, fast, naive, evaluation, sweep, succeeded)


async def seed(args: argparse.Namespace, pxe_url: str, oracle: Oracle, use_chain: bool) -> World:
    await oracle.set({"BTC": HIGH, "USDC": P8})
    btc = await rpc(pxe_url, "dev_createToken", ["BTC"])
    usdc = await rpc(pxe_url, "dev_createToken", ["USDC"])
    pool = await rpc(pxe_url, "dev_createPool", [btc, usdc, 7500, THRESHOLD_BPS])
    risky = await rpc(pxe_url, "dev_createEscrows", [pool, args.at_risk, str(E18), str(AT_RISK_DEBT), {"registered": True}])
    risky_addresses = [e["address"] for e in risky]
    epoch = int((await rpc(pxe_url, "dev_getPosition", [risky_addresses[0]]))["loanEpoch"])
    print(f"{len(risky)} at-risk escrows in the dev PXE, {args.positions - len(risky)} healthy positions in the monitor "
          f"(prices {'on anvil' if use_chain else 'static'})")
    return World(pxe_url, btc, usdc, pool, args.positions - len(risky), risky_addresses, epoch)


def monitor_settings(pxe_url: str, tmp: Path) -> NoteMonitorSettings:
    return load_settings(NoteMonitorSettings, liquidation_api_key=API_KEY, pxe_url=pxe_url, sync_interval=10**6,
                         database_url=f"sqlite+aiosqlite:///{tmp}/monitor.db")


def engine_settings(pxe_url: str, monitor_url: str, rpc_url: str, oracle_address: str, tmp: Path) -> LiquidationEngineSettings:
    return load_settings(
        LiquidationEngineSettings, liquidation_api_key=API_KEY, pxe_url=pxe_url, note_monitor_url=monitor_url,
        rpc_url=rpc_url, oracle_address=oracle_address, liquidator_private_key=LIQUIDATOR_KEY, sweep_interval=10**6,
        database_url=f"sqlite+aiosqlite:///{tmp}/engine.db", log_level="warning",
    )


async def ready_rig(engine: LiquidationEngine, oracle: Oracle, monitor: MonitorIndex, started: float) -> Rig:
    """Once the engine has built its copy: the liquidator funded and a clock on the sends."""
    await engine.checks.wait_for_run(0)
    print(f"engine copy built through the monitor's API once: {len(engine.positions)} positions "
          f"in {time.perf_counter() - started:.1f} s")
    assert engine.sender.liquidator
    await rpc(monitor.world.pxe_url, "dev_mint", [monitor.world.usdc, engine.sender.liquidator, str(10**12 * E18)])
    return Rig(engine, oracle, monitor, SendClock(engine))


async def fast_rounds(rig: Rig, http: httpx.AsyncClient, engine_url: str, args: argparse.Namespace) -> Timings:
    """The engine's path: POST /price-update, then the engine finds and sends on its own."""
    timings = Timings()
    body = {"updates": [{"asset": "BTC", "price": "55000", "previousPrice": "60000", "timestamp": rig.monitor.now,
                         "txHash": "0x" + "ab" * 32}]}
    for _ in range(args.rounds):
        await rig.reset()
        await rig.oracle.set({"BTC": LOW})
        rig.clock.arm(args.at_risk)
        checks_done = rig.engine.checks.runs
        start = time.perf_counter()
        r = await http.post(f"{engine_url}/price-update", json=body, headers={"X-API-Key": API_KEY})
        assert r.status_code == 202
        decided, first, last = await rig.clock.wait()
        timings.decided.append(decided - start)
        timings.first.append(first - start)
        timings.last.append(last - start)
        # The check records the hashes and hands them to the follower after the sends return:
        # the next reset must see them followed, or it raises the price before they are mined.
        await rig.engine.checks.wait_for_run(checks_done)
    return timings


async def naive_rounds(rig: Rig, http: httpx.AsyncClient, monitor_url: str, args: argparse.Namespace) -> Timings:
    """The naive path: pull every position over HTTP, evaluate with Decimal, then the engine's own sends."""
    timings = Timings()
    engine = rig.engine
    for _ in range(args.naive_rounds):
        await rig.reset()
        await rig.oracle.set({"BTC": LOW})
        rig.clock.arm(args.at_risk)
        start = time.perf_counter()
        with gc_paused():  # the same collector policy as the engine's check
            items = await pull_all(http, monitor_url, API_KEY)
            found = naive_evaluate(items, LOW, P8, int(time.time()))
            await engine.sender.send(in_priority_order(found), None)  # each transaction followed as it is sent
        decided, first, last = await rig.clock.wait()
        timings.decided.append(decided - start)
        timings.first.append(first - start)
        timings.last.append(last - start)
    return timings


async def sweeps(engine: LiquidationEngine, interval: float) -> Sweep:
    """The engine's own scheduled check over every position (nothing liquidatable at the high price)."""
    times = []
    for _ in range(EVALUATION_RUNS):
        t = time.perf_counter()
        checked = await engine.checker.run(Pending(), sweep=True)
        times.append(time.perf_counter() - t)
    return Sweep(times, checked.checked, interval)


def evaluate_copy(engine: LiquidationEngine) -> Evaluation:
    """Evaluating the engine's whole copy: exact ints with cached interest, then Decimal from wire strings."""
    positions = list(engine.positions.positions(("BTC", "USDC")))
    times = []
    for _ in range(EVALUATION_RUNS):
        t = time.perf_counter()
        found, checked = scan(positions, LOW, P8, int(time.time()), InterestOffsets(reference))
        times.append(time.perf_counter() - t)
    items = [to_wire(p, "BTC", "USDC", THRESHOLD_BPS) for p in positions]
    t = time.perf_counter()
    naive_found = naive_evaluate(items, LOW, P8, int(time.time()))
    decimal_time = time.perf_counter() - t
    return Evaluation(len(positions), times, len(found), checked, len(naive_found), decimal_time)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.bench_engine")
    parser.add_argument("--positions", type=int, default=1_000_000)
    parser.add_argument("--at-risk", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--naive-rounds", type=int, default=2)
    parser.add_argument("--static-prices", action="store_true", help="no chain: the dev PXE and the engine share a price table")
    asyncio.run(main(parser.parse_args()))
