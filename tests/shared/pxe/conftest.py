"""Fixtures for the shared.pxe tests: a development PXE over real HTTP, a client, and a pool on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from devnet.pxe.background import RunningDevPxe, running_dev_pxe
from shared.pxe import PxeClient
from tests.shared.pxe.liquidation_world import ETH_PRICE, LIQUIDATOR_KEY, USDC_PRICE, World


@pytest.fixture
def pxe() -> Iterator[RunningDevPxe]:
    # No blocks by themselves: each test mines when it wants the pending txs applied.
    with running_dev_pxe(block_time=0) as running:
        yield running


@pytest.fixture
async def client(pxe: RunningDevPxe) -> AsyncIterator[PxeClient]:
    async with PxeClient(pxe.url, timeout=2.0, backoff=0.01) as pxe_client:
        yield pxe_client


@pytest.fixture
async def world(pxe: RunningDevPxe, client: PxeClient) -> World:
    admin = pxe.admin
    eth, usdc = admin.create_token("ETH"), admin.create_token("USDC")
    pool = admin.create_pool(eth, usdc, 7_500, 8_000)
    admin.set_prices({"ETH": ETH_PRICE, "USDC": USDC_PRICE})
    liquidator = await client.register_account(LIQUIDATOR_KEY)
    return World(eth, usdc, pool, liquidator)
