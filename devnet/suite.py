"""The whole suite on one machine: local chain, PriceOracle, development PXE with demo escrows,
and the three services as real processes. Used by `make run` and by the end-to-end tests.

`SuiteConfig.protocol` picks the lending protocol (PROTOCOL): under `nocom-v1` the development PXE
simulates the deployed contracts, its MockPriceFeed included, and the services are told where the
feed is, whose key administers it and which token each symbol is priced under (README.md, Configuration).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from devnet.chain.local import LocalChain, free_port, start_local_chain
from devnet.pxe.admin import Admin
from devnet.pxe.modes import NOCOM_V1
from services.liquidation_engine.settings import LiquidationEngineSettings
from services.note_monitor.settings import NoteMonitorSettings
from services.price_service.evm.oracle import deploy_data
from services.price_service.settings import PriceServiceSettings
from shared.settings import environment_names

REPO = Path(__file__).resolve().parents[1]
SERVICES = {
    "price-service": "services.price_service",
    "note-monitor": "services.note_monitor",
    "liquidation-engine": "services.liquidation_engine",
}
DEMO_ASSETS = [("BTC", "Bitcoin"), ("ETH", "Ethereum"), ("USDC", "USD Coin")]
# A development-only liquidator secret: a field element, never used outside the local run.
DEV_LIQUIDATOR_KEY = "0x" + "1d" * 31 + "01"
LIQUIDATOR_FUNDS = 10_000_000 * 10**18
# nocom-v1's demo also lends ETH (against USDC): enough ETH that a refused liquidation there is the
# contract's swapped price check speaking, never the liquidator's empty balance.
LIQUIDATOR_ETH = 1_000 * 10**18
# Settings the runner sets itself: a developer's shell must not leak them into the services.
# What the services read: never inherited from the caller's environment, always set by the suite or defaulted.
OWN_SETTINGS = environment_names(PriceServiceSettings, NoteMonitorSettings, LiquidationEngineSettings)


@dataclass
class SuiteConfig:
    state_dir: Path
    log_format: str = "console"
    log_dir: Path | None = None  # None: the services write to this terminal
    ports: dict[str, int] = field(default_factory=lambda: {"price-service": 3000, "note-monitor": 3001,
                                                            "liquidation-engine": 3002, "pxe": 8080, "chain": 8545})
    poll_interval: float = 3
    sync_interval: float = 5
    sweep_interval: float = 5
    crash_probability: float = 0.05
    # 10 %: enough to put the demo's weakest positions under 1.0, mild enough that a liquidation
    # restores their health (a 25 % crash sends them into a spiral of bonuses down to bad debt).
    crash_bps: int = 1000
    seed: int = 3
    demo_escrows: int = 8
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    protocol: str = "reference"  # or "nocom-v1" (PROTOCOL)
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)


class LocalSuite:
    def __init__(self, config: SuiteConfig) -> None:
        self.config = config
        self.chain: LocalChain | None = None
        self.oracle_address = ""
        self.pxe: subprocess.Popen[bytes] | None = None
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.demo: dict[str, Any] = {}
        self._logs: list[IO[bytes]] = []

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.config.ports[name]}"

    # --- infrastructure -------------------------------------------------------------------
    def start_chain(self) -> None:
        port = self.config.ports["chain"]
        self.chain = start_local_chain(port=port if _port_free(port) else None)
        self.config.ports["chain"] = self.chain.port
        self.oracle_address = _deploy_oracle(self.chain)

    def kill_chain(self) -> None:
        """kill -9 the chain, as a crashed node dies (the chaos tests)."""
        assert self.chain is not None
        self.chain.kill()

    def restart_chain(self) -> None:
        """A new, empty chain of the same kind on the same port (the services keep their RPC_URL) and the
        PriceOracle redeployed: the deployer's first transaction again, so at the same address."""
        assert self.chain is not None
        old = self.chain
        old.stop()
        self.chain = start_local_chain(port=old.port, prefer=old.kind)
        address = _deploy_oracle(self.chain)
        if address.lower() != self.oracle_address.lower():
            raise RuntimeError(f"the PriceOracle was redeployed at {address}, not {self.oracle_address}")

    def freeze_pxe(self, frozen: bool) -> None:
        """SIGSTOP (frozen) or SIGCONT the development PXE: it keeps its connections and answers nothing."""
        assert self.pxe is not None and self.pxe.poll() is None
        self.pxe.send_signal(signal.SIGSTOP if frozen else signal.SIGCONT)

    @property
    def nocom(self) -> bool:
        return self.config.protocol == NOCOM_V1

    def start_pxe(self) -> None:
        cmd = [sys.executable, "-m", "devnet.pxe", "--port", str(self.config.ports["pxe"]), "--protocol", self.config.protocol,
               "--block-time", "0.5", "--log-format", self.config.log_format]
        if not self.nocom:  # nocom-v1's prices are in its own feed, inside the PXE
            assert self.chain is not None
            cmd += ["--rpc-url", self.chain.url, "--oracle-address", self.oracle_address]
        self.pxe = self._spawn("dev-pxe", cmd, {})
        _wait_http(f"{self.url('pxe')}/status", self.pxe, "development PXE")
        admin = Admin(self.url("pxe"))
        self.demo = admin.seed_demo(escrows=self.config.demo_escrows)
        liquidator = admin.call("pxe_registerAccount", [DEV_LIQUIDATOR_KEY])["address"]
        admin.mint(self.demo["tokens"]["USDC"], liquidator, LIQUIDATOR_FUNDS)
        if self.nocom:
            admin.mint(self.demo["tokens"]["ETH"], liquidator, LIQUIDATOR_ETH)

    def protocol_env(self) -> dict[str, str]:
        """PROTOCOL, and under nocom-v1 the feed, its admin's key (development only) and the symbols' tokens."""
        env = {"PROTOCOL": self.config.protocol}
        if self.nocom:
            feed, tokens = self.demo["feed"], self.demo["tokens"]
            env.update({
                "PRICE_FEED_ADDRESS": feed["address"], "PRICE_FEED_ADMIN_SECRET_KEY": feed["adminSecretKey"],
                "ASSET_TOKENS": ",".join(f"{symbol}={address}" for symbol, address in sorted(tokens.items())),
            })
        return env

    # --- services -------------------------------------------------------------------------
    def env_for(self, name: str) -> dict[str, str]:
        assert self.chain is not None
        c = self.config
        env = {k: v for k, v in os.environ.items() if k not in OWN_SETTINGS}
        env.update({
            "ENVIRONMENT": "development", "LOG_FORMAT": c.log_format, "LOG_LEVEL": "info", "HOST": "127.0.0.1",
            "LIQUIDATION_API_KEY": c.api_key,
            "DATABASE_URL": f"sqlite+aiosqlite:///{c.state_dir / (name + '.db')}",
            "PRICE_SERVICE_PORT": str(c.ports["price-service"]), "NOTE_MONITOR_PORT": str(c.ports["note-monitor"]),
            "LIQUIDATION_ENGINE_PORT": str(c.ports["liquidation-engine"]),
            "PRICE_SERVICE_URL": self.url("price-service"), "NOTE_MONITOR_URL": self.url("note-monitor"),
            "LIQUIDATION_ENGINE_URL": self.url("liquidation-engine"),
            "RPC_URL": self.chain.url, "ORACLE_ADDRESS": self.oracle_address, "ORACLE_UPDATER_PRIVATE_KEY": self.chain.keys[1],
            "PXE_URL": self.url("pxe"), "CMC_API_KEY": "mock", "MOCK_SEED": str(c.seed),
            "MOCK_CRASH_PROBABILITY": str(c.crash_probability), "MOCK_CRASH_BPS": str(c.crash_bps),
            "PRICE_POLL_INTERVAL": str(c.poll_interval),
            "PRICE_HEARTBEAT": "60", "SYNC_INTERVAL": str(c.sync_interval), "SWEEP_INTERVAL": str(c.sweep_interval),
            "LIQUIDATOR_PRIVATE_KEY": DEV_LIQUIDATOR_KEY, "COOLDOWN_BASE": "5", "RECEIPT_POLL_INTERVAL": "0.25",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.protocol_env())
        env.update(c.extra_env.get(name, {}))
        return env

    def start_service(self, name: str) -> None:
        process = self._spawn(name, [sys.executable, "-m", SERVICES[name]], self.env_for(name))
        self.processes[name] = process
        _wait_http(f"{self.url(name)}/openapi.json", process, name)

    def stop_service(self, name: str, kill: bool = False) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            stop_process(process, signal.SIGKILL if kill else signal.SIGTERM)

    def start_all(self, fresh: bool = True) -> None:
        if fresh and self.config.state_dir.exists():
            shutil.rmtree(self.config.state_dir)
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        self.start_chain()
        self.start_pxe()
        for name in ("liquidation-engine", "note-monitor", "price-service"):
            self.start_service(name)
        self.register_demo()

    def register_demo(self) -> None:
        headers = {"X-API-Key": self.config.api_key}
        with httpx.Client(timeout=30) as client:
            for symbol, name in DEMO_ASSETS:
                r = client.post(f"{self.url('price-service')}/assets", json={"symbol": symbol, "name": name}, headers=headers)
                if r.status_code not in (201, 409):
                    raise RuntimeError(f"adding {symbol} failed: HTTP {r.status_code} {r.text}")
            for escrow in self.demo["escrows"]:
                body = {"address": escrow["address"], "secretKey": escrow["secretKey"]}
                r = client.post(f"{self.url('note-monitor')}/escrows", json=body, headers=headers)
                if r.status_code not in (201, 409):
                    raise RuntimeError(f"registering {escrow['address']} failed: HTTP {r.status_code} {r.text}")

    def stop_all(self) -> None:
        for name in ("price-service", "note-monitor", "liquidation-engine"):
            self.stop_service(name)
        if self.pxe is not None:
            if self.pxe.poll() is None:
                self.pxe.send_signal(signal.SIGCONT)  # a frozen PXE would not see the SIGTERM
            stop_process(self.pxe)
            self.pxe = None
        if self.chain is not None:
            self.chain.stop()
            self.chain = None
        for log in self._logs:
            log.close()
        self._logs.clear()

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        out: IO[bytes] | None = None
        if self.config.log_dir is not None:
            self.config.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.config.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop_all
            self._logs.append(out)
        # A session of its own: Ctrl-C reaches only this runner, which then stops each child in order.
        return subprocess.Popen(cmd, cwd=REPO, env=env or None, stdout=out, stderr=subprocess.STDOUT if out else None,
                                start_new_session=True)


def _deploy_oracle(chain: LocalChain) -> str:
    import asyncio

    from eth_account import Account

    from services.price_service.evm.chain import Chain, TxSender

    async def deploy() -> str:
        connected = await Chain.connect(chain.url)
        try:
            updater = Account.from_key(chain.keys[1]).address
            result = await TxSender(connected, chain.keys[0]).send(None, deploy_data(updater))
            assert result.contract_address
            return result.contract_address
        finally:
            await connected.close()

    return asyncio.run(deploy())


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _wait_http(url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} during start")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer at {url} within {timeout:.0f} s")


def stop_process(process: subprocess.Popen[Any], sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Signal a process (SIGTERM by default) and wait for it; killed if it outlives `timeout`. Idempotent."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_ports() -> dict[str, int]:
    return {name: free_port() for name in ("price-service", "note-monitor", "liquidation-engine", "pxe", "chain")}


__all__ = ["LocalSuite", "SuiteConfig", "free_ports"]
