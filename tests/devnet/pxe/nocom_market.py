"""A nocom-v1 market on a development PXE for the tests: two tokens, a MockPriceFeed, a lending pool
and escrows in it, and the engine's two-step liquidation (authwit, then escrow.liquidate)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from devnet.pxe.background import RunningDevPxe, running_dev_pxe
from devnet.pxe.nocom_v1.admin import NocomAdmin
from shared.pxe import Call, PxeClient, to_field

UNIT = 10**18
USD = 10**4  # $1 with the feed's 4 decimals
EPOCH = 1_960_000
ANCHOR = EPOCH * 900 + 1  # next_epoch = EPOCH + 1: a loan written in EPOCH owes one epoch of interest
LIQUIDATOR_KEY = to_field(0xA11CE)
TREASURY = to_field(0x7EA5)


class Clock:
    """The dev PXE's clock, set by the test: the anchor of every tx it simulates."""

    def __init__(self, now: int = ANCHOR) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Market:
    pxe: RunningDevPxe
    client: PxeClient
    clock: Clock
    collateral: str
    debt: str
    feed: dict[str, str]
    pool: str
    liquidator: str
    escrows: list[str] = field(default_factory=list)

    @property
    def admin(self) -> NocomAdmin:
        assert isinstance(self.pxe.admin, NocomAdmin)
        return self.pxe.admin

    def escrow(self, collateral: int, principal: int, loan_epoch: int = EPOCH, registered: bool = True) -> str:
        address: str = self.admin.create_escrow(self.pool, collateral, principal, loan_epoch=loan_epoch, registered=registered)["address"]
        self.escrows.append(address)
        return address

    def set_prices(self, collateral_price: int, debt_price: int) -> None:
        self.admin.set_feed_prices({self.collateral: collateral_price, self.debt: debt_price}, self.feed["address"])

    async def liquidate(self, escrow: str, repay: int, collateral_price: int, debt_price: int, nonce: int = 1) -> str:
        """What the engine sends: the authwit for the pool to pull `repay`, then escrow.liquidate (may raise PxeReverted)."""
        call, authwit = await self.liquidation(escrow, repay, collateral_price, debt_price, nonce)
        return await self.client.send_tx([call], [authwit], self.liquidator)

    async def liquidation(self, escrow: str, repay: int, collateral_price: int, debt_price: int, nonce: int = 1) -> tuple[Call, dict]:
        """escrow.liquidate and the authwit it needs, to send alone or beside other calls."""
        transfer = Call("transfer_private_to_public", self.debt, [self.liquidator, self.pool, to_field(repay), to_field(nonce)])
        authwit = await self.client.create_authwit(self.liquidator, self.pool, transfer)
        call = Call("liquidate", escrow, [to_field(repay), to_field(nonce), to_field(collateral_price), to_field(debt_price)])
        return call, authwit

    async def mined(self, tx_hash: str) -> tuple[str, str | None]:
        self.admin.mine_block()
        receipt = await self.client.wait_for_receipt(tx_hash, timeout=5, poll_interval=0.02)
        return receipt.status, receipt.error

    def balance(self, token: str, owner: str) -> int:
        return self.admin.utility("balance_of_private", [owner], token)[0]


@asynccontextmanager
async def nocom_market(collateral: tuple[str, int] = ("ZEC", 437 * USD), debt: tuple[str, int] = ("USDC", USD),
                       max_ltv: int = 75_000, threshold: int = 80_000, now: int = ANCHOR, **options: Any) -> AsyncIterator[Market]:
    """A pool lending `debt` against `collateral` (symbol, 4-decimal feed price) on a fresh nocom-v1 dev PXE
    (`options` for running_dev_pxe: require_senders, costs, max_calls)."""
    clock = Clock(now)
    async with running_dev_pxe(protocol="nocom-v1", block_time=0, clock=clock, **options) as pxe:
        admin = pxe.admin
        assert isinstance(admin, NocomAdmin)
        collateral_token, debt_token = admin.create_token(collateral[0]), admin.create_token(debt[0])
        feed = admin.create_feed()
        pool = admin.create_pool(collateral_token, debt_token, max_ltv, threshold, feed=feed["address"], treasury=TREASURY)
        admin.set_feed_prices({collateral_token: collateral[1], debt_token: debt[1]}, feed["address"])
        async with PxeClient(pxe.url, timeout=5) as client:
            liquidator = await client.register_account(LIQUIDATOR_KEY)
            yield Market(pxe, client, clock, collateral_token, debt_token, feed, pool, liquidator)
