"""Development PXE gateways on one node, in a process of their own (the benches' stand-in for several gateways
of a real network):

    python -m bench.pxe_cluster --gateways 3 [--costs fake-proofs] [--time-scale 0.02] [--max-calls 5]
                                [--protocol reference|nocom-v1]

Each gateway is its own development PXE (its own job queue: one job at a time under the cost model, its
own costs), all over one chain state that the first one mines: what several real gateways in front of one
Aztec node are. Prints one JSON line `{"urls": [...]}` once every gateway serves, then serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
from typing import Any

import uvicorn

from devnet.pxe.costs import PROFILES, cost_model
from devnet.pxe.modes import PROTOCOLS, REFERENCE, dev_pxe_for
from devnet.pxe.server import DevPxe
from shared.logging import configure_logging


def gateway_on(first: DevPxe, **options: Any) -> DevPxe:
    """Another gateway over `first`'s state: it never mines, and the first one closes what they share."""
    gateway = dev_pxe_for(REFERENCE if hasattr(first, "prices") else "nocom-v1", block_time=0, **options)
    gateway.state = first.state
    if hasattr(first, "prices"):
        gateway.prices = first.prices  # type: ignore[attr-defined]
    gateway.close = _nothing  # type: ignore[method-assign]
    return gateway


async def _nothing() -> None:
    return None


async def serve(args: argparse.Namespace) -> None:
    options = {"costs": cost_model(args.costs, args.time_scale), "max_calls": args.max_calls}
    first = dev_pxe_for(args.protocol, block_time=args.block_time, **options)
    pxes = [first] + [gateway_on(first, **options) for _ in range(args.gateways - 1)]
    sockets = []
    for _ in pxes:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY on accept
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    servers = [uvicorn.Server(uvicorn.Config(p.app(), log_config=None, access_log=False, lifespan="on")) for p in pxes]
    for server in servers:
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # one handler for all, below
    tasks = [asyncio.create_task(s.serve(sockets=[sock])) for s, sock in zip(servers, sockets, strict=True)]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    while not all(s.started for s in servers):
        if any(t.done() for t in tasks):
            raise SystemExit("a gateway did not start")
        await asyncio.sleep(0.01)
    print(json.dumps({"urls": [f"http://127.0.0.1:{sock.getsockname()[1]}" for sock in sockets]}), flush=True)
    await stop.wait()
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pxe_cluster")
    parser.add_argument("--gateways", type=int, default=1)
    parser.add_argument("--protocol", choices=PROTOCOLS, default=REFERENCE)
    parser.add_argument("--costs", choices=PROFILES, default="none")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--max-calls", type=int, default=5)
    parser.add_argument("--block-time", type=float, default=0.2)
    args = parser.parse_args()
    configure_logging("bench-pxe", "warning")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
