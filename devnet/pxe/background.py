"""Run the development PXE inside a test: `with running_dev_pxe() as pxe:` or `async with running_dev_pxe() as pxe:`.

uvicorn serves in a background thread with its own event loop on 127.0.0.1; `stop()` and
`start()` take it down and bring it back on the same port with its state intact, as a real
PXE restarting on its database would.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn

from devnet.pxe.admin import Admin
from devnet.pxe.modes import NOCOM_V1, REFERENCE, dev_pxe_for
from devnet.pxe.nocom_v1.admin import NocomAdmin
from devnet.pxe.reference.prices import ProtocolPrices
from devnet.pxe.reference.server import ReferenceDevPxe
from devnet.pxe.server import DevPxe

HOST = "127.0.0.1"
START_TIMEOUT = 10.0


class RunningDevPxe:
    def __init__(
        self,
        *,
        port: int = 0,
        prices: ProtocolPrices | None = None,
        rpc_url: str | None = None,
        oracle_address: str | None = None,
        block_time: float = 0.05,
        latency_ms: float = 0,
        protocol: str = REFERENCE,
        clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> None:
        """`options` go to dev_pxe_for: salt, require_senders, costs (a CostModel), max_calls, sleep."""
        self.pxe: DevPxe
        if prices is not None:
            self.pxe = ReferenceDevPxe(None, prices, block_time=block_time, latency_ms=latency_ms, clock=clock)
        else:
            self.pxe = dev_pxe_for(protocol, rpc_url=rpc_url, oracle_address=oracle_address, block_time=block_time,
                                   latency_ms=latency_ms, clock=clock, **options)
        self._socket = _bind(port)
        self.port = self._socket.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self.admin = NocomAdmin(self.url) if protocol == NOCOM_V1 else Admin(self.url)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> Any:
        """The PXE's state: ReferenceState (reference) or NocomState (nocom-v1)."""
        return self.pxe.state

    @property
    def calls(self) -> Any:
        """Requests received per JSON-RPC method."""
        return self.pxe.calls

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "RunningDevPxe":
        if self.running:
            return self
        sock = self._socket or _bind(self.port)
        self._socket = None
        config = uvicorn.Config(
            self.pxe.app(), log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=2
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=_serve, args=(server, sock), name=f"dev-pxe-{self.port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                raise RuntimeError(f"the dev PXE did not start on {self.url}")
            time.sleep(0.01)
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> "RunningDevPxe":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
        self._close_unused_socket()

    async def __aenter__(self) -> "RunningDevPxe":
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *_exc: object) -> None:
        await asyncio.to_thread(self.stop)
        self._close_unused_socket()

    def _close_unused_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def running_dev_pxe(**options: Any) -> RunningDevPxe:
    """A dev PXE on a free 127.0.0.1 port; a context manager for `with` and `async with`."""
    return RunningDevPxe(**options)


def _bind(port: int) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only for such sockets,
    # and without it every request stalls ~40 ms on Nagle plus delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    return sock


def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    try:
        asyncio.run(server.serve(sockets=[sock]))
    finally:
        sock.close()
