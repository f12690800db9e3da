"""python -m devnet.pxe --port 8080 [--protocol reference|nocom-v1] [--rpc-url URL --oracle-address 0x..]
[--latency-ms 0] [--block-time 0.2] [--demo] [--salt S] [--require-senders] [--max-calls 5]
[--costs none|fake-proofs|real-proofs] [--time-scale 1.0] [--cost NAME=SECONDS ...] (README.md)"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys

import uvicorn

from devnet.pxe.costs import NONE, PROFILES, CostModel, cost_model, parse_overrides
from devnet.pxe.modes import NOCOM_V1, PROTOCOLS, REFERENCE, dev_pxe_for, seed
from devnet.pxe.tx_methods import DEFAULT_MAX_CALLS
from shared.logging import configure_logging, get_logger

HOST = "127.0.0.1"  # a development stand-in: never exposed beyond this machine


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m devnet.pxe", description="Development PXE (in memory, not persisted)")
    parser.add_argument("--port", type=int, default=int(env("DEV_PXE_PORT", "8080")))
    parser.add_argument("--protocol", choices=PROTOCOLS, default=env("PROTOCOL", REFERENCE).strip().lower(),
                        help="the lending protocol's rules: reference (docs/money-math.md) or nocom-v1 (the deployed contracts)")
    parser.add_argument("--rpc-url", help="EVM JSON-RPC with the PriceOracle (reference only; default RPC_URL)")
    parser.add_argument("--oracle-address", help="the PriceOracle (reference only; default ORACLE_ADDRESS)")
    parser.add_argument("--latency-ms", type=float, default=float(env("DEV_PXE_LATENCY_MS", "0")))
    parser.add_argument("--block-time", type=float, default=float(env("DEV_PXE_BLOCK_TIME", "0.2")))
    parser.add_argument("--demo", action="store_true", help="seed demo tokens, pools and escrows at start")
    parser.add_argument("--demo-escrows", type=int, default=8)
    parser.add_argument("--salt", default=env("DEV_PXE_SALT", ""),
                        help="derive addresses from this salt: dev PXEs with one salt, built alike, hold the same escrows")
    parser.add_argument("--require-senders", action="store_true", default=_flag(env("DEV_PXE_REQUIRE_SENDERS", "")),
                        help="an escrow's notes stay hidden until its owner and pool are registered senders, as on a real PXE")
    parser.add_argument("--max-calls", type=int, default=int(env("DEV_PXE_MAX_CALLS", str(DEFAULT_MAX_CALLS))),
                        help="calls one transaction carries (pxe_getTxLimits)")
    parser.add_argument("--costs", default=env("DEV_PXE_COSTS", NONE).strip().lower(),
                        help=f"what each PXE job costs, run one at a time: {', '.join(PROFILES)}")
    parser.add_argument("--time-scale", type=float, default=float(env("DEV_PXE_TIME_SCALE", "1.0")),
                        help="every cost multiplied by this (0.01: a real-proofs hour in 36 s)")
    parser.add_argument("--cost", action="append", default=_listed(env("DEV_PXE_COST", "")), metavar="NAME=SECONDS",
                        help="override one cost, in model seconds (repeatable): pxe_simulateView=1.5, prove=30")
    parser.add_argument("--log-level", default=env("LOG_LEVEL", "info"))
    parser.add_argument("--log-format", default=env("LOG_FORMAT", "json"))
    args = parser.parse_args(argv)
    if args.protocol not in PROTOCOLS:
        parser.error(f"PROTOCOL must be one of {', '.join(PROTOCOLS)}, not {args.protocol!r}")
    if args.max_calls < 1:
        parser.error("--max-calls must be at least 1")
    try:
        args.cost_model = cost_model(args.costs, args.time_scale, parse_overrides(args.cost))
    except ValueError as exc:
        parser.error(str(exc))
    if args.protocol == NOCOM_V1:
        if args.rpc_url or args.oracle_address:
            parser.error("nocom-v1 keeps its prices in its own MockPriceFeed: --rpc-url and --oracle-address are for reference")
        args.rpc_url = args.oracle_address = ""  # RPC_URL in the environment is the services', not this PXE's
        return args
    args.rpc_url = env("RPC_URL", "") if args.rpc_url is None else args.rpc_url
    args.oracle_address = env("ORACLE_ADDRESS", "") if args.oracle_address is None else args.oracle_address
    if bool(args.rpc_url) != bool(args.oracle_address):
        parser.error("--rpc-url and --oracle-address (RPC_URL, ORACLE_ADDRESS) go together")
    return args


async def run(args: argparse.Namespace) -> None:
    log = get_logger()
    costs: CostModel = args.cost_model
    pxe = dev_pxe_for(args.protocol, rpc_url=args.rpc_url, oracle_address=args.oracle_address, block_time=args.block_time,
                      latency_ms=args.latency_ms, salt=args.salt or None, require_senders=args.require_senders,
                      costs=costs, max_calls=args.max_calls)
    if args.demo:
        seeded = await seed(pxe, args.demo_escrows, registered=True)
        log.info("Dev PXE demo seeded", escrows=len(seeded["escrows"]), tokens=seeded["tokens"],
                 feed=seeded.get("feed", {}).get("address"))
    # IPPROTO_TCP explicitly, so asyncio sets TCP_NODELAY on each connection (no 40 ms Nagle stalls).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, args.port))
    config = uvicorn.Config(pxe.app(), log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    url = f"http://{HOST}:{sock.getsockname()[1]}"
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    if server.started:
        log.info("Dev PXE listening", url=url, protocol=args.protocol, oracle=args.oracle_address or None, persisted=False,
                 costs=costs.profile, timeScale=costs.scale, requireSenders=args.require_senders, maxCalls=args.max_calls)
    await serving


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _listed(value: str) -> list[str]:
    """DEV_PXE_COST="pxe_simulateView=1.5,prove=30" as --cost items."""
    return [item.strip() for item in value.split(",") if item.strip()]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    configure_logging("dev-pxe", args.log_level, args.log_format)
    try:
        asyncio.run(run(args))
    except OSError as exc:
        print(f"dev-pxe: cannot listen on {HOST}:{args.port}: {exc.strerror}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
