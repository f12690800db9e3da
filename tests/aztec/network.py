"""The real-network tier's world: what it deploys on the node, the gateway and the three services it runs as
processes, and how it reads the feed and the gateway's log."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.gateway.conftest import GATEWAY_DIR

ENV = dict(os.environ)  # read at import: the suite's autouse fixture clears the services' variables per test
NODE_URL = ENV.get("AZTEC_NODE_URL", "")
SYMBOLS = ("ZEC", "USDC", "BTC", "ETH", "SOL", "DOT")  # six assets: two set_prices calls of at most four;
# with an operator's artifacts the first two are a pool's collateral and debt
DEPLOY_TIMEOUT = 900.0
# Aztec's own Token (what the network can deploy here); an operator's aztec-standards Token and nocom's
# pools come in ARTIFACTS_DIR.
AZTEC_TOKEN_ARTIFACTS = GATEWAY_DIR / "node_modules" / "@aztec" / "noir-contracts.js" / "artifacts"
POOL_ARTIFACT = "NocomLendingPoolV1"


@dataclass(frozen=True)
class Deployed:
    accounts: list[dict[str, str]]  # the network's test accounts: address, secretKey, salt
    tokens: dict[str, str]  # symbol -> token address
    feed: str
    escrow: dict[str, Any]  # address, instance, secretKey, owner, pool
    position: dict[str, Any] | None  # with an operator's artifacts: the position opened in the deployed pool

    @property
    def admin(self) -> dict[str, str]:
        return self.accounts[0]  # deployed the feed: its admin

    @property
    def lender(self) -> dict[str, str]:
        return self.accounts[1]  # supplies the pool and liquidates: it holds the debt token

    @property
    def owner(self) -> dict[str, str]:
        return self.accounts[2]  # owns the escrow


def deploy(log: Path) -> Deployed:
    """Deploys with gateway/test/network/deploy.ts, or reads what AZTEC_DEPLOYED names (a deploy's output)."""
    if ENV.get("AZTEC_DEPLOYED"):
        return _parsed(Path(ENV["AZTEC_DEPLOYED"]).read_text())
    env = {**ENV, "AZTEC_NODE_URL": NODE_URL, "SYMBOLS": ",".join(SYMBOLS), "LOG_LEVEL": "warn"}
    with log.open("wb") as err:
        done = subprocess.run(["node", "--import", "tsx", "test/network/deploy.ts"], cwd=GATEWAY_DIR, env=env,
                              stdout=subprocess.PIPE, stderr=err, timeout=DEPLOY_TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"deploy failed ({done.returncode}):\n{log.read_text()[-3000:]}")
    return _parsed(done.stdout.decode())


def _parsed(output: str) -> Deployed:
    last = [line for line in output.splitlines() if line.startswith('{"accounts"')][-1]
    body = json.loads(last)
    return Deployed(body["accounts"], body["tokens"], body["feed"], body["escrow"], body.get("position"))


def operator_artifacts() -> list[Path]:
    return [Path(p.strip()) for p in ENV.get("ARTIFACTS_DIR", "").split(",") if p.strip()]


def has_pool_artifacts() -> bool:
    return any((folder / f"{POOL_ARTIFACT}.json").is_file() for folder in operator_artifacts())


def gateway_events(log: Path, event: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == event]


def set_prices_sent(log: Path) -> list[list[str]]:
    """The calls of every transaction the gateway sent that set feed prices, in order."""
    return [tx["calls"] for tx in gateway_events(log, "Transaction sent") if "set_prices" in tx.get("calls", [])]


def within(seconds: float, check: Callable[[], Any], what: str, every: float = 1.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(every)
