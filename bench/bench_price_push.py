"""Price push figures under a real PXE's cost model: 50 assets pushed to nocom-v1's feed, today against now.

    .venv/bin/python -m bench.bench_price_push [--assets 50] [--profile fake-proofs] [--time-scale 0.05]

A real PXE runs one job at a time and a transaction costs seconds whether it carries one `set_prices` call
or five (docs/pxe-jsonrpc.md). The development PXE models that (`--costs fake-proofs`: 1.45 s of simulation,
0.05 s per extra call, 1.1 s of proof and 0.13 s of send per transaction, measured on 3.0.0-devnet.5),
every cost multiplied by the time scale so the run takes seconds; figures are in model seconds (wall
seconds / scale). Two variants, each in a process of its own with a development PXE of its own:

- today: one `set_prices` call (4 assets) per transaction, as the price service sent before: 13 transactions;
- now: the calls packed up to the entrypoint's limit (`pxe_getTxLimits`, 5): 3 transactions.

Measured from the first send to the last transaction accepted by the node, from the PXE's own job history
(the receipts that follow are the network's block time, not the PXE's work). Prints figures; asserts nothing.
Goal (issue 22): 50 assets in at most 3 transactions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from typing import Any

from bench.cost_cluster import job_stats
from bench.dev_pxe import dev_pxe_process
from devnet.pxe.nocom_v1.admin import NocomAdmin
from services.price_service.feeds import FeedPrice
from services.price_service.feeds.aztec import AztecFeedConfig, AztecPriceFeed, Record
from shared.protocols import nocom_v1
from shared.pxe.gateways import PxeGateways

ADMIN_KEY = "0x" + "0b" * 31 + "e1"
VARIANTS = {"today": 1, "now": None}  # calls per transaction; None: what pxe_getTxLimits says


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_price_push", description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, default=50)
    parser.add_argument("--profile", default="fake-proofs", choices=("fake-proofs", "real-proofs"))
    parser.add_argument("--time-scale", type=float, default=0.05, help="every PXE cost multiplied by this")
    parser.add_argument("--variant", choices=sorted(VARIANTS), help=argparse.SUPPRESS)  # one side, in its own process
    return parser.parse_args(argv)


async def push_once(url: str, assets: int, calls_per_tx: int | None) -> dict[str, Any]:
    admin = NocomAdmin(url)
    feed = admin.create_feed(ADMIN_KEY)["address"]
    tokens = {f"A{i:02d}": admin.create_token(f"A{i:02d}") for i in range(assets)}
    saved: list[Record] = []

    async def load() -> list[Record]:
        return []

    async def save(records: list[Record]) -> None:
        saved.extend(records)

    async def nothing_newer() -> dict[str, FeedPrice]:
        return {}

    gateways = PxeGateways([url], reads=nocom_v1.READS, timeout=600)
    aztec = AztecPriceFeed(gateways, AztecFeedConfig(feed, ADMIN_KEY, tokens, nocom_v1.PRICE_DECIMALS,
                                                     nocom_v1.MAX_FEED_ASSETS_PER_CALL, receipt_timeout=600,
                                                     max_calls_per_tx=calls_per_tx), load, save)
    try:
        await aztec.prepare()
        job_stats(url, reset=True)  # the push alone: registration and the token check are start-up work
        started = time.perf_counter()
        outcome = await aztec.push({s: FeedPrice((i + 1) * 10**4, int(time.time())) for i, s in enumerate(tokens)}, nothing_newer)
        wall = time.perf_counter() - started
    finally:
        await aztec.close()
    if outcome.failed:
        raise RuntimeError(f"push failed: {sorted(set(outcome.failed.values()))[:3]}")
    stats = job_stats(url, history=True)
    sends = [j for j in stats["history"] if j["method"] == "pxe_sendTx"]
    return {"transactions": len(outcome.pushed), "callsPerTx": aztec.calls_per_tx, "pricesWritten": len(saved),
            "lastSentModelSeconds": max(j["endedAt"] for j in sends) - min(j["enqueuedAt"] for j in sends),
            "busyModelSeconds": stats["busySeconds"], "wallSecondsWithReceipts": wall}


def run_variant(args: argparse.Namespace) -> None:
    options = ("--protocol", "nocom-v1", "--costs", args.profile, "--time-scale", str(args.time_scale), "--block-time", "0.02")
    with dev_pxe_process(*options) as url:
        figures = asyncio.run(push_once(url, args.assets, VARIANTS[args.variant]))
    print(json.dumps({"variant": args.variant, **figures}), flush=True)


def side(args: argparse.Namespace, variant: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench.bench_price_push", "--variant", variant, "--assets", str(args.assets),
                           "--profile", args.profile, "--time-scale", str(args.time_scale)],
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"bench.bench_price_push --variant {variant} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.variant:
        run_variant(args)
        return
    print(f"price push of {args.assets} assets to nocom-v1's feed, development PXE cost model {args.profile} "
          f"at time scale {args.time_scale:g} (model seconds = wall seconds / {args.time_scale:g}); each side in its own process",
          flush=True)
    today, now = side(args, "today"), side(args, "now")
    for name, figures, how in (("today", today, "one set_prices call a transaction"),
                               ("now", now, f"{now['callsPerTx']} calls a transaction (pxe_getTxLimits)")):
        print(f"{name:<5} ({how}): {figures['transactions']} transactions, last accepted by the node after "
              f"{figures['lastSentModelSeconds']:.1f} model s, PXE busy {figures['busyModelSeconds']:.1f} model s "
              f"({figures['wallSecondsWithReceipts']:.1f} wall s with the receipts)", flush=True)
    print(f"ratio today / now: transactions {today['transactions'] / now['transactions']:.2f}x, "
          f"seconds to the last send {today['lastSentModelSeconds'] / now['lastSentModelSeconds']:.2f}x", flush=True)
    print(f"goal: {args.assets} assets in <= 3 transactions: {'met' if now['transactions'] <= 3 else 'NOT met'} "
          f"({now['transactions']})", flush=True)


if __name__ == "__main__":
    main()
