"""One service in a process of its own, holding a synthetic book, for the memory bench.

    python -m bench.service_process monitor --database PATH (--seed N | --port PORT)
    python -m bench.service_process engine --monitor URL --database PATH

monitor --seed: N escrows and positions written to its database (as registrations would leave them).
monitor --port: the note monitor starts as it does in production (loading everything from
the database) and serves its API until terminated. engine: the liquidation engine starts, builds its
copy of every position through the monitor's API, and exits.

Each prints one JSON line per phase: seconds since the process started, its RSS now and its peak RSS
(ru_maxrss), so the parent compares processes that held nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import time
from pathlib import Path
from typing import Any

PROCESS_START = time.monotonic()

import uvicorn  # noqa: E402 - imports count towards start-up time, measured from above

from bench.book import healthy_positions  # noqa: E402
from services.liquidation_engine.app import create_app as create_engine_app  # noqa: E402
from services.liquidation_engine.service import LiquidationEngine  # noqa: E402
from services.liquidation_engine.settings import LiquidationEngineSettings  # noqa: E402
from services.note_monitor.app import create_app as create_monitor_app  # noqa: E402
from services.note_monitor.escrows import Escrow  # noqa: E402
from services.note_monitor.positions import PositionIndex  # noqa: E402
from services.note_monitor.service import NoteMonitor  # noqa: E402
from services.note_monitor.settings import NoteMonitorSettings  # noqa: E402
from services.note_monitor.store import PositionStore  # noqa: E402
from shared.db import Database  # noqa: E402
from shared.logging import configure_logging  # noqa: E402
from shared.settings import load_settings  # noqa: E402

API_KEY = "bench-key-9d3c1a7e5f2b4d6c8e0a1b3c5d7e9f2a"
NO_SERVER = "http://127.0.0.1:9"  # nothing listens: the PXE and the chain are not what is measured
LIQUIDATOR_KEY = "0x0bec4000000000000000000000000000000000000000000000000000000000b2"
POOL, BTC, USDC = f"0x{0xA1:064x}", f"0x{0xB1:064x}", f"0x{0xC1:064x}"


def report(phase: str, **figures: Any) -> None:
    rss = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"phase": phase, "seconds": round(time.monotonic() - PROCESS_START, 2), "rssKiB": rss,
                      "peakKiB": peak, **figures}), flush=True)


def monitor_settings(database: str) -> NoteMonitorSettings:
    return load_settings(NoteMonitorSettings, liquidation_api_key=API_KEY, pxe_url=NO_SERVER, sync_interval=3600,
                         database_url=f"sqlite+aiosqlite:///{database}", log_level="warning")


async def seed(database: str, count: int) -> None:
    """The database as `count` registrations would leave it (the monitor is not running yet)."""
    db = Database(f"sqlite+aiosqlite:///{database}")
    store, versions = PositionStore(db), PositionIndex()
    await store.init()
    chunk = 100_000
    book = healthy_positions(count, POOL, BTC, USDC, 1, int(time.time()), 1, versions.next_version)
    for start in range(0, count, chunk):
        positions = [next(book) for _ in range(min(chunk, count - start))]
        pairs = [(Escrow(p.escrow, POOL, BTC, USDC, "BTC", "USDC", 8000, False, 0), p) for p in positions]
        await store.save_registrations(pairs, versions.allocated)
    await db.close()


async def run_monitor(args: argparse.Namespace) -> None:
    if args.seed is not None:
        started = time.monotonic()
        await seed(args.database, args.seed)
        print(json.dumps({"phase": "seeded", "positions": args.seed, "seconds": round(time.monotonic() - started, 1)}),
              flush=True)
        return
    app = create_monitor_app(monitor_settings(args.database))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=args.port, log_config=None, access_log=False))
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: setattr(server, "should_exit", True))
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    service: NoteMonitor = app.state.service
    report("serving", positions=len(service.index))
    await task


async def run_engine(args: argparse.Namespace) -> None:
    settings = load_settings(
        LiquidationEngineSettings, liquidation_api_key=API_KEY, pxe_url=NO_SERVER, note_monitor_url=args.monitor,
        rpc_url=NO_SERVER, oracle_address="0x" + "00" * 20, liquidator_private_key=LIQUIDATOR_KEY,
        sweep_interval=3600, database_url=f"sqlite+aiosqlite:///{args.database}", log_level="warning",
    )
    engine = LiquidationEngine(settings)
    app = create_engine_app(settings, engine)
    async with app.router.lifespan_context(app):  # start() returns once the copy is built
        report("copy built", positions=len(engine.positions))
        await asyncio.sleep(1)  # the first check (a sweep, prices unreachable) has run
        report("running", positions=len(engine.positions))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.service_process")
    parser.add_argument("service", choices=["monitor", "engine"])
    parser.add_argument("--database", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--monitor", default="")
    args = parser.parse_args()
    configure_logging(f"bench-{args.service}", "warning")
    asyncio.run(run_monitor(args) if args.service == "monitor" else run_engine(args))


if __name__ == "__main__":
    main()
