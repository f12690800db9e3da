"""Which lending protocol the development PXE simulates, chosen at start (--protocol / PROTOCOL).

`reference`: our model (docs/money-math.md, reference), prices from the PriceOracle on RPC_URL or a static table.
`nocom-v1`: the deployed jp4g/nocom-v1 contracts (docs/money-math.md, nocom-v1), prices in their own MockPriceFeed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from devnet.pxe.costs import CostModel
from devnet.pxe.jobs import Sleep
from devnet.pxe.nocom_v1.demo import seed_nocom_demo
from devnet.pxe.nocom_v1.server import NocomDevPxe
from devnet.pxe.nocom_v1.state import NocomState
from devnet.pxe.reference.demo import seed_demo
from devnet.pxe.reference.prices import protocol_prices
from devnet.pxe.reference.server import ReferenceDevPxe
from devnet.pxe.reference.state import ReferenceState
from devnet.pxe.server import DevPxe
from devnet.pxe.tx_methods import DEFAULT_MAX_CALLS

REFERENCE, NOCOM_V1 = "reference", "nocom-v1"
PROTOCOLS = (REFERENCE, NOCOM_V1)


def dev_pxe_for(
    protocol: str = REFERENCE,
    *,
    rpc_url: str | None = None,
    oracle_address: str | None = None,
    block_time: float = 0.2,
    latency_ms: float = 0,
    clock: Callable[[], float] = time.time,
    salt: str | None = None,
    require_senders: bool = False,
    costs: CostModel | None = None,
    max_calls: int = DEFAULT_MAX_CALLS,
    sleep: Sleep = asyncio.sleep,
) -> DevPxe:
    options: dict[str, Any] = {"block_time": block_time, "latency_ms": latency_ms, "clock": clock, "costs": costs,
                               "max_calls": max_calls, "sleep": sleep}
    if protocol == NOCOM_V1:
        if rpc_url or oracle_address:
            raise ValueError("nocom-v1 keeps its prices in its own MockPriceFeed: no RPC_URL or ORACLE_ADDRESS")
        return NocomDevPxe(NocomState(salt, require_senders=require_senders), **options)
    if protocol != REFERENCE:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    return ReferenceDevPxe(ReferenceState(salt, require_senders=require_senders), protocol_prices(rpc_url, oracle_address),
                           **options)


async def seed(pxe: DevPxe, escrows: int, registered: bool) -> dict[str, Any]:
    """The demo world of the PXE's protocol (dev_seedDemo's answer)."""
    if isinstance(pxe, NocomDevPxe):
        return seed_nocom_demo(pxe.state, escrows, registered, pxe.now())
    assert isinstance(pxe, ReferenceDevPxe)
    return await seed_demo(pxe.state, pxe.prices, escrows, registered)
