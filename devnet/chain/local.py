"""Start a local EVM chain for development and tests: anvil (npm) when it runs, else the py-evm dev chain.

    chain = start_local_chain()          # free port, anvil preferred
    ... RPC_URL = chain.url, keys = chain.keys ...
    chain.stop()
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from devnet.chain.keys import ANVIL_CHAIN_ID, ANVIL_DEV_KEYS, ANVIL_MNEMONIC

__all__ = ["ANVIL_CHAIN_ID", "ANVIL_DEV_KEYS", "ANVIL_MNEMONIC", "LocalChain", "LocalChainError", "anvil_path", "start_local_chain"]

REPO_ROOT = Path(__file__).resolve().parents[2]

ChainKind = Literal["anvil", "py-evm"]


class LocalChainError(RuntimeError):
    """The local chain could not be started."""


@dataclass
class LocalChain:
    url: str
    keys: list[str]
    kind: ChainKind
    process: subprocess.Popen  # type: ignore[type-arg]
    chain_id: int = ANVIL_CHAIN_ID
    log_path: str | None = field(default=None, repr=False)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def is_running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """kill -9, as a crashed node dies: no clean shutdown (the chaos and restart tests)."""
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGKILL)
            self.process.wait(5)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the chain process (by its PID) and wait for it; idempotent."""
        proc = self.process
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout)
        if self.log_path:
            try:
                os.unlink(self.log_path)
            except OSError:
                pass
            self.log_path = None

    def __enter__(self) -> LocalChain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:  # type: ignore[type-arg]
    """The chain runs in its own process group (see _launch): signal it all, wrapper and node alike."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def anvil_path(root: Path | None = None) -> Path | None:
    """anvil from the repository's node_modules, when installed: the platform binary itself when
    present, so that the PID we hold is the node's (kill -9 of npm's node shim would leave the
    real anvil running), else npm's `.bin/anvil` shim."""
    modules = (root or REPO_ROOT) / "node_modules"
    binaries = sorted(modules.glob("@foundry-rs/anvil-*/bin/anvil"))
    if binaries and os.access(binaries[0], os.X_OK):
        return binaries[0]
    path = modules / ".bin" / "anvil"
    return path if path.exists() else None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _rpc_chain_id(url: str, timeout: float = 1.0) -> int | None:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - local URL
            return int(json.loads(response.read())["result"], 16)
    except (OSError, ValueError, KeyError, TypeError, urllib.error.URLError):
        return None


def _tail(path: str | None, limit: int = 2000) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text(errors="replace")[-limit:].strip()
    except OSError:
        return ""


def _launch(cmd: list[str], url: str, kind: ChainKind, keys: list[str], timeout: float) -> LocalChain:
    fd, log_path = tempfile.mkstemp(prefix=f"local-chain-{kind}-", suffix=".log")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    try:
        proc = subprocess.Popen(  # noqa: S603 - fixed argv
            cmd, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=fd, stderr=fd, env=env, start_new_session=True
        )
    finally:
        os.close(fd)
    chain = LocalChain(url=url, keys=list(keys), kind=kind, process=proc, log_path=log_path)
    deadline = time.monotonic() + timeout
    delay = 0.01
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            detail = _tail(log_path)
            chain.stop()
            raise LocalChainError(f"{kind} exited with code {proc.returncode}" + (f": {detail}" if detail else ""))
        chain_id = _rpc_chain_id(url, timeout=max(0.2, min(1.0, deadline - time.monotonic())))
        if chain_id is not None:
            chain.chain_id = chain_id
            return chain
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)
    detail = _tail(log_path)
    chain.stop()
    raise LocalChainError(f"{kind} did not answer eth_chainId on {url} within {timeout:g}s" + (f": {detail}" if detail else ""))


def _mining_args(no_mining: bool, block_time: float | None) -> list[str]:
    if no_mining and block_time is not None:
        raise ValueError("no_mining and block_time exclude each other")
    if block_time is not None and block_time <= 0:
        raise ValueError("block_time must be positive")
    return ["--no-mining"] if no_mining else ["--block-time", f"{block_time:g}"] if block_time is not None else []


def start_local_chain(
    port: int | None = None,
    prefer: str = "anvil",
    host: str = "127.0.0.1",
    timeout: float | None = None,
    *,
    no_mining: bool = False,
    block_time: float | None = None,
) -> LocalChain:
    """Start anvil (anvil's dev accounts) or, when it is missing or fails, the py-evm chain.

    `prefer`: "anvil" (fall back to py-evm), or "py-evm"/"pyevm" to use the fallback directly.
    Mining: each transaction at once (default), `no_mining` (transactions wait in the pool until
    `evm_mine`), or a block every `block_time` seconds; both chains take the same options.
    Waits until the RPC answers `eth_chainId`. A free port is picked when none is given; a given
    port may be the one of a chain just killed (a restart on the same URL).
    """
    mining = _mining_args(no_mining, block_time)
    kind = prefer.lower().replace("_", "-")
    if kind not in ("anvil", "py-evm", "pyevm"):
        raise ValueError(f"prefer must be 'anvil' or 'py-evm', not {prefer!r}")
    errors: list[str] = []
    if kind == "anvil":
        anvil = anvil_path()
        if anvil is None:
            errors.append("anvil not installed (node_modules/.bin/anvil)")
        else:
            p = port or free_port(host)
            cmd = [str(anvil), "--host", host, "--port", str(p), "--silent", "--chain-id", str(ANVIL_CHAIN_ID), *mining]
            try:
                return _launch(cmd, f"http://{host}:{p}", "anvil", ANVIL_DEV_KEYS, timeout or 15.0)
            except (LocalChainError, OSError) as exc:
                errors.append(str(exc))
    p = port or free_port(host)
    cmd = [sys.executable, "-m", "devnet.chain.pyevm", "--host", host, "--port", str(p), "--silent", *mining]
    try:
        return _launch(cmd, f"http://{host}:{p}", "py-evm", ANVIL_DEV_KEYS, timeout or 60.0)
    except (LocalChainError, OSError) as exc:
        errors.append(str(exc))
        raise LocalChainError("; ".join(errors)) from exc
