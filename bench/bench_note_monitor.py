"""note-monitor figures: escrows one PXE keeps within a 60 s sync under the real-cost model, sync speed
against a slow PXE, and incremental reads at 100 000 positions.

    .venv/bin/python -m bench.bench_note_monitor [--model-escrows 20000] [--model-baseline 100] [--model-pools 4]
        [--time-scale 0.01] [--escrows 10000] [--sample 500] [--full] [--positions 100000]

Prints figures; asserts nothing. The development PXE runs as its own process (as in production,
the PXE is another process).

Under the real-cost model (bench/monitor_pxe_costs.py: `--costs fake-proofs --time-scale S`, one job at a
time) one run syncs `--model-baseline` escrows with today's reads (two simulations each: a PXE without
pxe_getNotes) and `--model-escrows` from the note store (one pxe_getNotes per pool), and prints how many
escrows each keeps within a 60 s sync, in model seconds. Goal: 10 times as many or more (issue 22.6).

Against a slow PXE (20 ms of latency added to every HTTP request it answers, no cost model) the sync of
`--escrows` pays it once per call (a pool's note-store read), and the one-by-one baseline twice per
escrow (its sync, then its notes). Goal: the sync of 10 000 escrows takes at most 1/100 of that.

Memory is not measured here: this process also holds the bench's own data, so its RSS is not a
service's. bench/bench_memory.py measures the peak RSS of each service in a process of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from typing import Any

import httpx

from bench import monitor_pxe_costs as costs
from bench.dev_pxe import call, dev_pxe_process
from services.note_monitor.app import create_app
from services.note_monitor.escrows import Escrow, position_of
from services.note_monitor.service import NoteMonitor
from services.note_monitor.settings import NoteMonitorSettings
from shared.logging import configure_logging
from shared.pxe.client import Notes, PxeClient
from shared.settings import load_settings

API_KEY = "bench-key-4b1d9e2f7a6c5b3e8d0f1a2c3b4d5e6f"
LATENCY_MS = 20  # per HTTP request (devnet/pxe/server.py sleeps once per request)
GOAL_RATIO = 0.01  # the sync at most 1/100 of one by one
E18 = 10**18
SEEDED = Notes(E18, 10**20, 0)  # what bench escrows are created with (dev_createEscrows; the epoch is read)


def settings(db_dir: str, pxe_url: str, concurrency: int = 16) -> NoteMonitorSettings:
    return load_settings(
        NoteMonitorSettings, liquidation_api_key=API_KEY, database_url=f"sqlite+aiosqlite:///{db_dir}/note-monitor.db",
        pxe_url=pxe_url, sync_interval=3600, sync_concurrency=concurrency, log_level="warning",
    )


async def seed(monitor: NoteMonitor, escrows: list[Escrow], notes: Notes = SEEDED) -> None:
    """Registers escrows straight into the registry (their discovery is not what is measured)."""
    pairs = [(e, position_of(e, notes, 0, 0, monitor.index.next_version())) for e in escrows]
    await monitor.registry.store.save_registrations(pairs, monitor.index.version)
    for escrow, position in pairs:
        monitor.registry.escrows[escrow.address] = escrow
        monitor.index.put(position)


def escrows_of(created: list[dict[str, Any]], pool: str, collateral: str, debt: str) -> list[Escrow]:
    """The monitor's records of escrows made by dev_createEscrows in a BTC/USDC pool (threshold 80 %)."""
    return [Escrow(e["address"], pool, collateral, debt, "BTC", "USDC", 8000, False, 0) for e in created]


async def warm_up(admin: httpx.AsyncClient, url: str, pools: list[str]) -> None:
    """The dev PXE derives each note's storage slot (Poseidon2 in Python, 0.3 ms) the first time it lists it: done
    before the figures, which are the monitor's and the modelled PXE's, not the dev PXE's own Python."""
    for pool in pools:
        await call(admin, url, "pxe_getNotes", {"contractAddress": pool})


async def notes_of(admin: httpx.AsyncClient, url: str, escrow: str) -> Notes:
    position = await call(admin, url, "dev_getPosition", escrow)
    return Notes(int(position["collateralAmount"]), int(position["loanPrincipal"]), position["loanEpoch"])


async def bench_sync(count: int, sample: int, full: bool) -> None:
    with dev_pxe_process() as url, tempfile.TemporaryDirectory() as tmp:
        async with httpx.AsyncClient(timeout=600) as admin:
            btc, usdc = await call(admin, url, "dev_createToken", "BTC"), await call(admin, url, "dev_createToken", "USDC")
            pool = await call(admin, url, "dev_createPool", btc, usdc, 7000, 8000)
            created = await call(admin, url, "dev_createEscrows", pool, count, str(E18), str(10**20), {"registered": True})
            client = PxeClient(url, max_connections=64)
            escrows = escrows_of(created, pool, btc, usdc)
            notes = await notes_of(admin, url, created[0]["address"])
            await warm_up(admin, url, [pool])
            await call(admin, url, "dev_setLatency", LATENCY_MS)

            monitor = NoteMonitor(settings(tmp, url), client)
            await monitor.registry.store.init()
            await seed(monitor, escrows, notes)
            for e in created[::10]:  # a tenth of the borrowers changed something since the last sync
                await call(admin, url, "dev_setPosition", e["address"], str(2 * E18), str(10**20))
            batch_size, concurrency = monitor.settings.sync_batch_size, monitor.settings.sync_concurrency
            started = time.perf_counter()
            report = await monitor.sync_now()
            synced = time.perf_counter() - started
            await monitor.db.close()

            one_by_one = escrows if full else escrows[:sample]
            started = time.perf_counter()
            for escrow in one_by_one:
                await client.sync_private_state(escrow.address)
                await client.collateral_and_debt(escrow.pool, escrow.address)
            sequential = (time.perf_counter() - started) * count / len(one_by_one)
            await client.close()

    assert report is not None
    how = "measured on all" if full else f"measured on {len(one_by_one)} and extrapolated linearly to"
    ratio = synced / sequential
    print(f"sync of {count} escrows, PXE latency {LATENCY_MS} ms per HTTP request, note-store reads (one pxe_getNotes "
          f"per pool; SYNC_BATCH_SIZE={batch_size} for a PXE without it), "
          f"SYNC_CONCURRENCY={concurrency} calls in flight: {synced:.2f} s "
          f"(changed {report.changed}, failures {report.failures})")
    print(f"reading them one by one, two requests each ({how} {count}): {sequential:.1f} s")
    print(f"ratio sync / one-by-one: {ratio:.4f}  goal <= {GOAL_RATIO} (1/100): {'met' if ratio <= GOAL_RATIO else 'NOT met'}")


async def bench_positions(count: int, calls: int) -> None:
    configure_logging("note-monitor", "warning")
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(settings(tmp, "http://127.0.0.1:9"), PxeClient("http://127.0.0.1:9", read_attempts=1))
        monitor: NoteMonitor = app.state.service
        monitor.periodic.interval = 3600
        async with app.router.lifespan_context(app):
            await monitor.wait_for_sync(0)  # the PXE is absent on purpose: the first sync fails fast
            pools = [f"0x{0xA000 + i:064x}" for i in range(4)]
            escrows = [
                Escrow(f"0x{0x10000000 + i:064x}", pools[i % 4], f"0x{0xB000 + i % 4:064x}", f"0x{0xC000:064x}",
                       ("BTC", "ETH", "SOL", "LINK")[i % 4], "USDC", 8000, False, 1_700_000_000)
                for i in range(count)
            ]
            await seed(monitor, escrows, Notes(123 * E18 + 456, 98765 * E18 + 4321, 1_900_000))
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://monitor") as http:
                version = monitor.index.version
                timings = []
                for _ in range(calls):
                    started = time.perf_counter()
                    r = await http.get(f"/positions?sinceVersion={version}", headers={"X-API-Key": API_KEY})
                    timings.append((time.perf_counter() - started) * 1000)
                    assert r.status_code == 200 and r.json()["positions"] == []
                started = time.perf_counter()
                r = await http.get("/positions?limit=5000", headers={"X-API-Key": API_KEY})
                full_page = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        restarted = NoteMonitor(settings(tmp, "http://127.0.0.1:9"), PxeClient("http://127.0.0.1:9"))
        snapshot = await restarted.registry.store.load()
        restarted.index.load(snapshot.positions, snapshot.removals, snapshot.version)
        loaded = time.perf_counter() - started
        await restarted.db.close()
    print(f"GET /positions?sinceVersion=N, nothing changed, {count} positions: median {statistics.median(timings):.2f} ms "
          f"over {calls} calls (p95 {sorted(timings)[int(calls * 0.95)]:.2f} ms; goal < 5 ms)")
    print(f"GET /positions?limit=5000 (a full page): {full_page:.1f} ms")
    print("memory: not measured in this process (it holds the bench too); python -m bench.bench_memory gives "
          "each service's peak RSS in a process of its own")
    print(f"loading {count} positions from SQLite at start: {loaded:.1f} s")


async def bench_costs(baseline: int, escrows: int, pools: int, scale: float) -> None:
    """Escrows one PXE keeps within a 60 s sync under the real-cost model, today's reads against the note store's."""
    with dev_pxe_process("--costs", "fake-proofs", "--time-scale", str(scale)) as url:
        async with httpx.AsyncClient(timeout=600) as admin:
            btc, usdc = await call(admin, url, "dev_createToken", "BTC"), await call(admin, url, "dev_createToken", "USDC")
            made = []
            for _ in range(pools):
                pool = await call(admin, url, "dev_createPool", btc, usdc, 7000, 8000)
                created = await call(admin, url, "dev_createEscrows", pool, -(-escrows // pools), str(E18), str(10**20),
                                    {"registered": True})
                made.append(escrows_of(created, pool, btc, usdc))
            book = [e for group in zip(*made, strict=True) for e in group][:escrows]  # the pools interleaved
            notes = await notes_of(admin, url, book[0].address)
            await warm_up(admin, url, [group[0].pool for group in made])

            async def seeded(monitor: NoteMonitor, chosen: list[Escrow]) -> None:
                await seed(monitor, chosen, notes)

            today = await costs.figures_for(url, admin, book[:baseline], "today's reads (two simulations per escrow)",
                                            settings, seeded)
            store = await costs.figures_for(url, admin, book, "note-store reads (one pxe_getNotes per pool)", settings, seeded)
    print(f"under the development PXE's real-cost model (--costs fake-proofs --time-scale {scale}: model seconds = "
          f"PXE wall seconds / {scale}), one PXE, {pools} pools, SYNC_CONCURRENCY=16, SYNC_BATCH_SIZE=100:")
    for figure in today + store:
        print(figure.line())
    print(costs.verdict(today[0], store[0]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_note_monitor")
    parser.add_argument("--escrows", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=500, help="escrows read one by one for the baseline")
    parser.add_argument("--positions", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--full", action="store_true", help="read all escrows one by one (about 7 minutes)")
    parser.add_argument("--model-escrows", type=int, default=20_000, help="escrows synced from the note store under the cost model")
    parser.add_argument("--model-baseline", type=int, default=100, help="escrows synced by simulation under the cost model")
    parser.add_argument("--model-pools", type=int, default=4)
    parser.add_argument("--time-scale", type=float, default=0.01, help="the dev PXE's --time-scale")
    args = parser.parse_args(argv)
    asyncio.run(bench_costs(args.model_baseline, args.model_escrows, args.model_pools, args.time_scale))
    asyncio.run(bench_positions(args.positions, args.calls))
    asyncio.run(bench_sync(args.escrows, args.sample, args.full))


if __name__ == "__main__":
    main()
