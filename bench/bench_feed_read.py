"""liquidation-engine feed price read under a real PXE's cost model (issue 22): today's read, a
`pxe_simulateView get_price` per token (shared/feeds/aztec.py before 8d7d856), against the read of the
feed's public storage through the node that shared/feeds/aztec.py now does (`node_getPublicStorageAt`).

    .venv/bin/python -m bench.bench_feed_read [--reads 5] [--real-scale 0.1]

Prints figures and ratios; asserts nothing. The nocom-v1 development PXE runs in a process of its own
(bench/pxe_cluster.py) under devnet/pxe/costs.py: a view is a PXE job (1.2 s, one job at a time), a node
call is not (5 ms). One read is what a check needs: the prices of one pair, two tokens, in one batch.
Measured on an idle PXE and while the PXE proves a transaction (a read that is a job waits for the proof),
with fake proofs in real time (time scale 1), and with real proofs at `--real-scale` (figures in model
seconds: wall / scale; the storage read's own round trip is not a PXE cost, so scaling it up makes it look
slower than it is: its ratio errs low).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from bench.cost_cluster import Profile, gateways, rpc
from devnet.pxe.costs import cost_model
from shared.feeds.aztec import AztecFeedReader
from shared.logging import configure_logging
from shared.pxe.client import PxeClient
from shared.pxe.fields import from_field, to_field

GOAL = 20.0  # a feed price read at least 20x faster (issue 22)
BUSY_AFTER = 0.2  # of the proof's cost: the read arrives while the PXE is proving


async def by_simulation(pxe: PxeClient, feed: str, tokens: dict[str, str]) -> dict[str, int]:
    """Today's read: a public view per token, in one batch (each a PXE job)."""
    answers = await pxe.call_many([("pxe_simulateView", ["get_price", [token], feed]) for token in tokens.values()])
    return {symbol: from_field(answer["result"][0]) for symbol, answer in zip(tokens, answers, strict=True)}


async def timed(read: Callable[[], Awaitable[dict[str, int]]], expected: dict[str, int]) -> float:
    started = time.perf_counter()
    found = await read()
    assert found == expected, (found, expected)
    return time.perf_counter() - started


async def busy_read(pxe: PxeClient, feed: str, admin: str, token: str, price: int, proof: float,
                    read: Callable[[], Awaitable[dict[str, int]]], expected: dict[str, int]) -> float:
    """A read that arrives while the PXE proves a transaction (the feed's admin setting a price again):
    `proof` wall seconds after it started, times BUSY_AFTER."""
    call = {"name": "set_prices", "to": feed, "args": [to_field(v) for v in (token, 0, 0, 0, 1, price, 0, 0, 0, 1)]}
    sending = asyncio.ensure_future(pxe.call("pxe_sendTx", [{"calls": [call], "authWitnesses": []}, {"from": admin}],
                                             retry=False))
    await asyncio.sleep(proof * BUSY_AFTER)
    took = await timed(read, expected)
    await sending
    return took


async def measure(profile: Profile, reads: int) -> tuple[dict[str, float], dict[str, float]]:
    """Seconds of one pair read (model seconds), idle (median) and during a proof: {"today", "storage"} each."""
    proof = sum(cost_model(profile.name, profile.scale).tx_phases("pxe_sendTx", 1)) * profile.scale
    with gateways(1, profile, protocol="nocom-v1") as (url,):
        demo = rpc(url, "dev_seedDemo", [{"escrows": 0}])
        feed, admin = demo["feed"]["address"], demo["feed"]["admin"]
        tokens = {s: demo["tokens"][s] for s in ("ETH", "USDC")}
        async with PxeClient(url, timeout=600) as pxe:
            reader = AztecFeedReader(pxe, feed)
            expected = await reader.prices(tokens)
            ways: dict[str, Callable[[], Awaitable[dict[str, int]]]] = {
                "today": lambda: by_simulation(pxe, feed, tokens), "storage": lambda: reader.prices(tokens)}
            idle = {name: statistics.median([await timed(read, expected) for _ in range(reads)]) / profile.scale
                    for name, read in ways.items()}
            busy = {name: await busy_read(pxe, feed, admin, tokens["ETH"], expected["ETH"], proof, read, expected)
                    / profile.scale for name, read in ways.items()}
    return idle, busy


def report(profile: Profile, idle: dict[str, float], busy: dict[str, float]) -> None:
    for case, figures in (("idle PXE", idle), ("during a proof", busy)):
        ratio = figures["today"] / figures["storage"]
        print(f"[{profile.name}, time scale {profile.scale}] a pair's feed prices, {case}: today (pxe_simulateView "
              f"get_price) {figures['today'] * 1000:.0f} ms, storage through the node {figures['storage'] * 1000:.1f} ms; "
              f"{ratio:.0f}x faster  goal >= {GOAL:g}x: {'met' if ratio >= GOAL else 'NOT met'}")


async def main(args: argparse.Namespace) -> None:
    configure_logging("bench", "warning")
    for profile in (Profile("fake-proofs", 1.0), Profile("real-proofs", args.real_scale)):
        report(profile, *await measure(profile, args.reads))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.bench_feed_read")
    parser.add_argument("--reads", type=int, default=5)
    parser.add_argument("--real-scale", type=float, default=0.1)
    asyncio.run(main(parser.parse_args()))
