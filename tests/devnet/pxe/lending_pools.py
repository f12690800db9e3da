"""One lending pool on a fresh development PXE of either protocol, for the tests that hold both modes to the
same JSON-RPC: escrows in it (liquidatable at the set prices), the liquidator, and its liquidation calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from devnet.pxe.background import RunningDevPxe, running_dev_pxe
from devnet.pxe.nocom_v1.admin import NocomAdmin
from shared.pxe import Call, PxeClient, to_field

UNIT = 10**18
LIQUIDATOR_KEY = to_field(0xA11CE)
# (collateral price, debt price) in each protocol's decimals, and a position liquidatable at them:
# reference: 10 ETH at $2 000 (8 decimals), threshold 80 %, against 17 000 USDC;
# nocom-v1: 20 ZEC at $437 (4 decimals), threshold 80 %, against 7 000 USDC (the contracts' TXE test).
PRICES = {"reference": (2_000 * 10**8, 10**8), "nocom-v1": (437 * 10**4, 10**4)}
POSITION = {"reference": (10 * UNIT, 17_000 * UNIT), "nocom-v1": (20 * UNIT, 7_000 * UNIT)}


@dataclass
class LendingPool:
    protocol: str
    pxe: RunningDevPxe
    client: PxeClient
    pool: str
    collateral_token: str
    debt_token: str
    liquidator: str

    @property
    def prices(self) -> tuple[int, int]:
        return PRICES[self.protocol]

    def escrow(self, registered: bool = True, healthy: bool = False) -> dict[str, Any]:
        """A new escrow ({"address", "owner", "secretKey", "instance"}), under water at the prices unless `healthy`."""
        collateral, principal = POSITION[self.protocol]
        far_epoch = 3_000_000  # a loan written in a far epoch owes no interest: amounts stay exact
        return self.pxe.admin.create_escrow(self.pool, collateral, principal // 10 if healthy else principal,
                                            loan_epoch=far_epoch, registered=registered)

    async def call(self, method: str, params: list[Any] | None = None) -> Any:
        return await self.pxe.admin.acall(method, params)

    async def liquidation(self, escrow: str, repay: int, nonce: int) -> tuple[Call, dict]:
        transfer = Call("transfer_private_to_public", self.debt_token, [self.liquidator, self.pool, to_field(repay), to_field(nonce)])
        authwit = await self.client.create_authwit(self.liquidator, self.pool, transfer)
        collateral_price, debt_price = self.prices
        args = [to_field(repay), to_field(nonce), to_field(collateral_price), to_field(debt_price)]
        return Call("liquidate", escrow, args), authwit

    def tx_params(self, calls: list[Call], authwits: list[dict]) -> list[Any]:
        return [{"calls": [c.to_json() for c in calls], "authWitnesses": authwits}, {"from": self.liquidator}]

    async def mined(self, tx_hash: str) -> tuple[str, str | None]:
        self.pxe.admin.mine_block()
        receipt = await self.client.wait_for_receipt(tx_hash, timeout=5, poll_interval=0.02)
        return receipt.status, receipt.error


@asynccontextmanager
async def lending_pool(protocol: str, **options: Any) -> AsyncIterator[LendingPool]:
    """A pool on a fresh dev PXE of `protocol`, its prices set, the liquidator registered holding 100 000 debt tokens."""
    async with running_dev_pxe(protocol=protocol, block_time=0, **options) as pxe:
        admin = pxe.admin
        collateral_price, debt_price = PRICES[protocol]
        if isinstance(admin, NocomAdmin):
            collateral, debt = admin.create_token("ZEC"), admin.create_token("USDC")
            feed = admin.create_feed()["address"]
            pool = admin.create_pool(collateral, debt, 75_000, 80_000, feed=feed)
            admin.set_feed_prices({collateral: collateral_price, debt: debt_price}, feed)
        else:
            collateral, debt = admin.create_token("ETH"), admin.create_token("USDC")
            pool = admin.create_pool(collateral, debt, 7_500, 8_000)
            admin.set_prices({"ETH": collateral_price, "USDC": debt_price})
        async with PxeClient(pxe.url, timeout=5) as client:
            liquidator = await client.register_account(LIQUIDATOR_KEY)
            admin.mint(debt, liquidator, 100_000 * UNIT)
            yield LendingPool(protocol, pxe, client, pool, collateral, debt, liquidator)
