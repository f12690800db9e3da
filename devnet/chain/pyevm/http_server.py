"""The dev chain's HTTP endpoint: JSON-RPC over POST (10 MiB at most), a plain "OK" for GET health checks."""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devnet.chain.pyevm.dev_chain import DevChain

log = logging.getLogger("devnet.chain.pyevm")


def make_server(chain: DevChain, host: str = "127.0.0.1", port: int = 8545) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "liquidator-devchain"

        def log_message(self, fmt: str, *args: Any) -> None:  # quiet: one line per request is noise
            log.debug(fmt, *args)

        def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            self._reply(200, b"OK\n", "text/plain")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            if length > 10 * 1024 * 1024:
                self._reply(413, b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"request too large"}}')
                return
            raw = self.rfile.read(length)
            try:
                request = json.loads(raw)
            except ValueError:
                response: Any = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
            else:
                response = chain.handle(request)
            self._reply(200, json.dumps(response).encode())

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
