"""The TypeScript PXE gateway (gateway/) as a real process for the Python client's tests.

`gateway` starts the loopback stub node and the gateway on free 127.0.0.1 ports (no network, no chain);
`AZTEC_NODE_URL` tests point the same gateway at a real Aztec node instead. Both need `npm ci --prefix gateway`.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from devnet.chain.local import free_port
from devnet.suite import stop_process

GATEWAY_DIR = Path(__file__).resolve().parents[2] / "gateway"
START_TIMEOUT = 60.0


def gateway_installed() -> bool:
    return (GATEWAY_DIR / "node_modules" / "tsx").is_dir() and (GATEWAY_DIR / "node_modules" / "@aztec" / "pxe").is_dir()


@dataclass
class RunningGateway:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    started_in: float


def _node(script: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["node", "--import", "tsx", script], cwd=GATEWAY_DIR, env=env,
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )


def _wait_status(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gateway exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/status", timeout=1) as response:
                if response.status == 200 and response.read().strip() == b"OK":
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"gateway not ready after {timeout}s:\n{log.read_text()[-3000:]}")




def _stub_node(tmp: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    log = tmp / "stub-node.log"
    process = _node("src/stub_node_main.ts", {**os.environ, "STUB_NODE_PORT": str(port)}, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        if lines:
            return str(lines[0]["url"]), process
        if process.poll() is not None:
            raise RuntimeError(f"stub node exited: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    stop_process(process)
    raise TimeoutError("stub node did not start")


def start_gateway(node_url: str, tmp: Path, **settings: str) -> RunningGateway:
    port = free_port()
    env = {
        **os.environ, "AZTEC_NODE_URL": node_url, "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(port),
        "GATEWAY_DATA_DIR": str(tmp / "pxe-data"), "LOG_LEVEL": "debug", **settings,
    }
    log = tmp / "gateway.log"
    started = time.monotonic()
    process = _node("src/main.ts", env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_status(url, process, log)
    except Exception:
        stop_process(process)
        raise
    return RunningGateway(url, process, log, time.monotonic() - started)


@contextmanager
def stub_gateway(tmp: Path, **settings: str) -> Iterator[RunningGateway]:
    """The gateway (with these settings) on its own loopback stub node; fake proofs (nothing is proven against a stub)."""
    if not gateway_installed():
        pytest.skip("gateway/node_modules is missing: run `npm ci --prefix gateway` (or `make test-gateway`)")
    node_url, stub = _stub_node(tmp)
    try:
        running = start_gateway(node_url, tmp, PXE_PROVER_ENABLED="false", **settings)
        try:
            yield running
        finally:
            stop_process(running.process)
    finally:
        stop_process(stub)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    """The gateway on the loopback stub node, default settings."""
    with stub_gateway(tmp_path_factory.mktemp("gateway")) as running:
        yield running
