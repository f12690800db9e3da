"""The PXE gateways of one role (PxeSettings: PXE_URL, PXE_SEND_URL, PXE_READ_URL).

A real PXE runs one job at a time, so a role's work is spread over its gateways: each call or batch
goes to the next one in turn (`next`). What every gateway must know (an account that sends, an escrow
whose notes are read, a sender whose notes must be found) is registered with each (`each`).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from shared.pxe.client import PxeClient

T = TypeVar("T")


class PxeGateways:
    def __init__(self, urls: list[str], **client_options: Any) -> None:
        if not urls:
            raise ValueError("a role needs at least one PXE gateway")
        self.clients = [PxeClient(url, **client_options) for url in dict.fromkeys(urls)]
        self._turn = itertools.cycle(self.clients)

    def __len__(self) -> int:
        return len(self.clients)

    @property
    def first(self) -> PxeClient:
        return self.clients[0]

    def next(self) -> PxeClient:
        """The gateway whose turn it is."""
        return next(self._turn)

    async def each(self, work: Callable[[PxeClient], Awaitable[T]]) -> list[T]:
        """`work` done with every gateway at once; the first failure raises after all have finished."""
        results = await asyncio.gather(*(work(client) for client in self.clients), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [r for r in results if not isinstance(r, BaseException)]

    async def close(self) -> None:
        await asyncio.gather(*(client.close() for client in self.clients))
