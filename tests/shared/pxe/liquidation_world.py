"""Shared by the shared.pxe tests: one ETH/USDC pool on the development PXE, and what the engine sends.

The fixtures that build it (pxe, client, world) are in conftest.py beside this module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from devnet.pxe.background import RunningDevPxe
from shared.protocols import reference
from shared.pxe import Call, PxeClient, to_field

UNIT = 10**18
ETH_PRICE = 2_000 * 10**8
USDC_PRICE = 1 * 10**8
LIQUIDATOR_KEY = to_field(0xC0FFEE)


@dataclass
class World:
    eth: str
    usdc: str
    pool: str
    liquidator: str


def interest_free_epoch() -> int:
    """A loan epoch after the next one: no interest accrues, so amounts are exact whatever the clock."""
    return reference.next_epoch(int(time.time())) + 10


def open_position(pxe: RunningDevPxe, world: World, collateral: int, principal: int, **options: object) -> str:
    options.setdefault("loan_epoch", interest_free_epoch())
    return pxe.admin.create_escrow(world.pool, collateral, principal, registered=True, **options)["address"]


async def liquidation_tx(
    client: PxeClient, world: World, escrow: str, repay: int, *, nonce: int = 1,
    prices: tuple[int, int] = (ETH_PRICE, USDC_PRICE), authwit_amount: int | None = None, with_authwit: bool = True,
) -> str:
    """What the engine sends: an authwit for the pool to pull `repay` debt tokens, then escrow.liquidate."""
    authwits = []
    if with_authwit:
        transfer = Call(
            "transfer_private_to_public", world.usdc,
            [to_field(world.liquidator), to_field(world.pool), to_field(authwit_amount or repay), to_field(nonce)],
        )
        authwits.append(await client.create_authwit(world.liquidator, world.pool, transfer))
    liquidate = Call("liquidate", escrow, [to_field(repay), to_field(nonce), to_field(prices[0]), to_field(prices[1])])
    return await client.send_tx([liquidate], authwits, world.liquidator)
