"""The PXE gateways the monitor reads through (PXE_READ_URL), and which one holds each escrow.

Each escrow lives on one gateway: its key and its notes' senders are registered there, and its notes are
read there. A real PXE's note sync works for every key it holds, so a gateway holding every escrow's key
would do all of the book's work however many gateways there are; one escrow per gateway divides it.
An escrow is placed by rendezvous hashing over the gateways when it is registered, and the gateway is
stored with it: the monitor never keeps a key, so an escrow cannot move to another gateway by itself, and
adding a gateway must not move the escrows already placed (new ones spread over all). An escrow whose
stored gateway is not in this monitor's list (another replica's own gateways, or a gateway removed) is
read through the gateway rendezvous hashing gives it here, which must hold its key (RUNBOOK.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from services.note_monitor.escrows import Escrow
from services.note_monitor.problems import gateway_name
from shared.leases import owner


def _name(client: Any, index: int) -> str:
    url = getattr(client, "url", None)
    return gateway_name(url) if isinstance(url, str) else f"pxe-{index + 1}"


class ReadGateways:
    """`T` is whatever reads a PXE (a PxeClient; a fake one in unit tests)."""

    def __init__(self, clients: Sequence[Any]) -> None:
        if not clients:
            raise ValueError("the monitor needs at least one PXE gateway to read through")
        self.clients: dict[str, Any] = {}
        for i, client in enumerate(clients):
            self.clients.setdefault(_name(client, i), client)
        self.names = list(self.clients)
        # pxe_getNotes known (True) or answered -32601 (False): that gateway is read by simulations.
        self.note_store: dict[str, bool] = dict.fromkeys(self.names, True)

    def __len__(self) -> int:
        return len(self.names)

    @property
    def first(self) -> Any:
        return self.clients[self.names[0]]

    def place(self, address: str) -> str:
        """The gateway a new escrow goes to."""
        return self.names[0] if len(self.names) == 1 else owner(self.names, address)

    def of(self, escrow: Escrow) -> str:
        """The gateway this monitor reads the escrow through."""
        if escrow.gateway is not None and escrow.gateway in self.clients:
            return escrow.gateway
        return self.place(escrow.address)

    def client(self, name: str) -> Any:
        return self.clients[name]

    def split(self, escrows: Sequence[Escrow]) -> dict[str, list[Escrow]]:
        """The escrows by the gateway each is read through."""
        out: dict[str, list[Escrow]] = {}
        for escrow in escrows:
            out.setdefault(self.of(escrow), []).append(escrow)
        return out

    async def status(self) -> dict[str, bool]:
        """Whether each gateway answers `GET /status`."""
        answers = await asyncio.gather(*(client.status() for client in self.clients.values()))
        return {name: bool(up) for name, up in zip(self.names, answers, strict=True)}
