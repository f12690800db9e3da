"""The command line: `python -m devnet.chain.pyevm --port 8545 [--no-mining | --block-time S] [--silent]`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from typing import Any

from devnet.chain.keys import ANVIL_CHAIN_ID
from devnet.chain.pyevm.dev_chain import DevChain
from devnet.chain.pyevm.http_server import make_server


def _mine_every(chain: DevChain, seconds: float) -> None:
    while True:
        time.sleep(seconds)
        chain.handle({"jsonrpc": "2.0", "id": 0, "method": "evm_mine", "params": []})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local py-evm chain over HTTP JSON-RPC (anvil stand-in).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8545)
    parser.add_argument("--chain-id", type=int, default=ANVIL_CHAIN_ID)
    parser.add_argument("--silent", action="store_true", help="print nothing but errors")
    mining = parser.add_mutually_exclusive_group()
    mining.add_argument("--no-mining", action="store_true", help="keep transactions pending until evm_mine (as anvil)")
    mining.add_argument("--block-time", type=float, help="mine a block every this many seconds (as anvil)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    chain = DevChain(chain_id=args.chain_id)
    if args.no_mining or args.block_time:
        chain.handle({"jsonrpc": "2.0", "id": 0, "method": "evm_setAutomine", "params": [False]})
    if args.block_time:
        threading.Thread(target=_mine_every, args=(chain, args.block_time), daemon=True).start()
    server = make_server(chain, args.host, args.port)

    def _stop(signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if not args.silent:
        host, port = server.server_address[:2]
        print(f"py-evm dev chain (chain id {args.chain_id}) listening on http://{host}:{port}", flush=True)
        for i, address in enumerate(chain.accounts):
            print(f"  ({i}) {address}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
