"""The development PXE as the benches run it: in a process of its own (as a real PXE is) on a free port,
and its JSON-RPC."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from devnet.suite import stop_process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def dev_pxe_process(*options: str) -> Iterator[str]:
    """`python -m devnet.pxe` with these options; its URL once it answers /status."""
    port = free_port()
    # Its output goes to a file, not a pipe: a pipe nobody reads would fill up and stall it.
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as out:
        proc = subprocess.Popen([sys.executable, "-m", "devnet.pxe", "--port", str(port), *options], stdout=out, stderr=out)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/status", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the dev PXE did not start: {Path(out.name).read_text()[-2000:]}")
                time.sleep(0.05)
            yield url
        finally:
            stop_process(proc)


async def call(client: httpx.AsyncClient, url: str, method: str, *params: Any) -> Any:
    """One JSON-RPC call; its result, or RuntimeError with the error."""
    body = (await client.post(f"{url}/", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})).json()
    if body.get("error"):
        raise RuntimeError(f"{method}: {body['error']}")
    return body["result"]
