"""`make run`: the whole suite on this machine, on embedded defaults, until Ctrl-C.

A local chain with the PriceOracle, the development PXE with demo escrows, the mock price
source with a crash now and then, and the three services with fast intervals.
`PROTOCOL=nocom-v1 make run` runs the deployed protocol's rules instead (docs/money-math.md, nocom-v1): the
development PXE simulates nocom-v1's contracts, its MockPriceFeed included.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from devnet.pxe.modes import PROTOCOLS, REFERENCE
from devnet.suite import REPO, LocalSuite, SuiteConfig

BANNER = """
================================================================================
 Liquidator suite running locally ({chain_kind} chain, mock prices, development PXE)
 Lending protocol: {protocol}

   price-service       {price}      (assets, prices: open)
   note-monitor        {monitor}      (escrows, positions: API key)
   liquidation-engine  {engine}      (liquidations: API key)
   development PXE     {pxe}
   EVM JSON-RPC        {chain}      PriceOracle {oracle}{feed}

 API key (generated for this run only):
   export KEY={key}

 Try:
   curl -s {price}/health
   curl -s {price}/prices
   curl -s -H "X-API-Key: $KEY" {monitor}/positions
   curl -s -H "X-API-Key: $KEY" {engine}/liquidations

 A mock price crash liquidates a demo position within about a minute: watch for
 "Liquidation executed successfully" below. Ctrl-C stops everything.
================================================================================
"""


def protocol_from_env() -> str:
    protocol = os.environ.get("PROTOCOL", REFERENCE).strip().lower() or REFERENCE
    if protocol not in PROTOCOLS:
        sys.exit(f"PROTOCOL must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    return protocol


def feed_line(suite: LocalSuite) -> str:
    if not suite.nocom:
        return ""
    return f"\n   MockPriceFeed       {suite.demo['feed']['address']} (in the development PXE)"


def main() -> None:
    suite = LocalSuite(SuiteConfig(state_dir=REPO / "data" / "local", protocol=protocol_from_env()))
    stopping = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        suite.start_all()
        assert suite.chain is not None
        print(BANNER.format(chain_kind=suite.chain.kind, price=suite.url("price-service"), monitor=suite.url("note-monitor"),
                            engine=suite.url("liquidation-engine"), pxe=suite.url("pxe"), chain=suite.chain.url,
                            oracle=suite.oracle_address, key=suite.config.api_key, protocol=suite.config.protocol,
                            feed=feed_line(suite)), flush=True)
        while not stopping:
            for name, process in suite.processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with code {process.returncode}; stopping the suite", flush=True)
                    stopping = True
            time.sleep(0.5)
    finally:
        print("Stopping the suite ...", flush=True)
        suite.stop_all()
        print(f"Stopped. State of this run is in {Path('data') / 'local'}.", flush=True)


if __name__ == "__main__":
    main()
