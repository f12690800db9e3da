"""The PXE gateways the engine works through, by role (README.md, PXE_URL, PXE_SEND_URL, PXE_READ_URL).

A real PXE runs one job at a time and a liquidation's proof holds it for seconds (a minute with real
proofs), so the engine's transactions go through the send gateways, spread over them bundle by bundle,
and everything it reads (receipts, its re-reads of escrows, balances, the feed) through the read
gateways, where no proof of ours waits in front. The liquidator account is registered with every
gateway: each send gateway proves with its keys, and each read gateway reads its balances.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any

from shared.pxe.client import PxeClient
from shared.pxe.gateways import PxeGateways
from shared.settings import PxeSettings


class OneGateway(PxeGateways):
    """One client given to the engine (tests, tools) standing for a role's gateways; its maker closes it."""

    def __init__(self, client: PxeClient) -> None:  # PxeGateways builds its clients from URLs; this one is given
        self.clients = [client]
        self._turn = itertools.cycle(self.clients)

    async def close(self) -> None:
        return None


@dataclass
class PxeRoles:
    send: PxeGateways
    read: PxeGateways

    @classmethod
    def of(cls, settings: PxeSettings, given: PxeClient | None, *, send_timeout: float,
           **options: Any) -> PxeRoles:
        """The gateways of each role from the settings; `given`: one client for both roles."""
        if given is not None:
            one = OneGateway(given)
            return cls(one, one)
        return cls(PxeGateways(settings.pxe_urls("send"), send_timeout=send_timeout, **options),
                   PxeGateways(settings.pxe_urls("read"), **options))

    @property
    def each_pxe(self) -> list[PxeClient]:
        """One client per distinct gateway, whatever its roles (registrations, health)."""
        by_url: dict[str, PxeClient] = {}
        for client in [*self.send.clients, *self.read.clients]:
            by_url.setdefault(client.url, client)
        return list(by_url.values())

    async def ready(self) -> dict[str, bool]:
        """Whether each gateway answers node_isReady now."""
        clients = self.each_pxe
        answers = await asyncio.gather(*(client.is_ready() for client in clients))
        return {client.url: ok for client, ok in zip(clients, answers, strict=True)}

    async def close(self) -> None:
        await self.send.close()
        if self.read is not self.send:
            await self.read.close()
