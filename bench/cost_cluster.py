"""What the cost-model benches run on: development PXE gateways on one node as a process of their own
(bench/pxe_cluster.py), and the JSON-RPC admin calls they are seeded with."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from devnet.suite import stop_process


@dataclass(frozen=True)
class Profile:
    """A cost profile of devnet/pxe/costs.py run `scale` times faster: figures are wall seconds / scale."""

    name: str  # fake-proofs | real-proofs
    scale: float


@contextmanager
def gateways(count: int, profile: Profile, protocol: str = "reference") -> Iterator[list[str]]:
    """`count` gateways on one node under `profile`, in a process of their own; their URLs."""
    cmd = [sys.executable, "-m", "bench.pxe_cluster", "--gateways", str(count), "--costs", profile.name,
           "--time-scale", str(profile.scale), "--protocol", protocol]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"the PXE gateways did not start: {proc.stderr.read() if proc.stderr else ''}")
        yield list(json.loads(line)["urls"])
    finally:
        stop_process(proc)


def rpc(url: str, method: str, params: list[Any] | None = None) -> Any:
    import httpx

    body = httpx.post(f"{url}/", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []},
                      timeout=600).json()
    if body.get("error"):
        raise RuntimeError(f"{method}: {body['error']}")
    return body["result"]


def job_stats(url: str, **options: Any) -> dict[str, Any]:
    """The PXE's job counts and busy time (`reset`, `history`: devnet/pxe/README.md)."""
    return dict(rpc(url, "dev_getJobStats", [options]))


class Stopwatch:
    """Wall time since start, read as model seconds of a profile."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.started = time.perf_counter()

    def model(self, at: float | None = None) -> float:
        return ((at if at is not None else time.perf_counter()) - self.started) / self.profile.scale
