"""The MockPriceFeed in the development PXE: set_prices and set_price as admin transactions (the
flattened args of docs/money-math.md, the nocom-v1 feed), applied when mined, refused for anyone else, at most 4 assets, and
no length check on the prices (the contract writes its padding)."""

from __future__ import annotations

import pytest

from shared.pxe import Call, PxeInvalidInput, PxeReverted, to_field
from tests.devnet.pxe.nocom_market import USD, Market, nocom_market


def set_prices_args(assets: list[str | int], prices: list[int], assets_len: int | None = None,
                    prices_len: int | None = None) -> list[str]:
    """[a0, a1, a2, a3, len_a, p0, p1, p2, p3, len_p]: each BoundedVec<_, 4> padded with zeros, then its length."""
    padded_assets = assets + [0] * (4 - len(assets))
    padded_prices = prices + [0] * (4 - len(prices))
    fields = [*padded_assets, len(assets) if assets_len is None else assets_len,
              *padded_prices, len(prices) if prices_len is None else prices_len]
    return [to_field(f) for f in fields]


async def send_set_prices(m: Market, sender: str, args: list[str]) -> str:
    return await m.client.send_tx([Call("set_prices", m.feed["address"], args)], [], sender)


def feed_prices(m: Market, *assets: str) -> list[int]:
    return [m.admin.view("get_price", [asset], m.feed["address"])[0] for asset in assets]


async def test_the_admin_sets_prices_in_a_transaction_applied_when_mined() -> None:
    async with nocom_market() as m:
        admin = await m.client.register_account(m.feed["adminSecretKey"])
        assert admin == m.feed["admin"]  # the key the price service is given opens the admin account
        third = m.admin.create_token("BTC")
        tx_hash = await send_set_prices(m, admin, set_prices_args([m.collateral, m.debt, third], [400 * USD, 9_999, 97_000 * USD]))
        assert feed_prices(m, m.collateral, m.debt, third) == [437 * USD, USD, 0]  # pending: not yet
        assert await m.mined(tx_hash) == ("success", None)
        assert feed_prices(m, m.collateral, m.debt, third) == [400 * USD, 9_999, 97_000 * USD]

        single = Call("set_price", m.feed["address"], [third, to_field(96_000 * USD)])
        assert await m.mined(await m.client.send_tx([single], [], admin)) == ("success", None)
        assert feed_prices(m, third) == [96_000 * USD]


async def test_anyone_else_is_refused_with_the_contracts_message() -> None:
    async with nocom_market() as m:
        with pytest.raises(PxeReverted, match="^Only admin can set prices$"):
            await send_set_prices(m, m.liquidator, set_prices_args([m.collateral], [1]))
        with pytest.raises(PxeReverted, match="^Only admin can set prices$"):
            await m.client.send_tx([Call("set_price", m.feed["address"], [m.collateral, to_field(1)])], [], m.liquidator)
        assert m.pxe.state.pending == []


async def test_a_change_of_admin_moves_the_right_to_set_prices() -> None:
    async with nocom_market() as m:
        admin = await m.client.register_account(m.feed["adminSecretKey"])
        handover = Call("change_admin", m.feed["address"], [m.liquidator])
        assert await m.mined(await m.client.send_tx([handover], [], admin)) == ("success", None)
        with pytest.raises(PxeReverted, match="^Only admin can set prices$"):
            await send_set_prices(m, admin, set_prices_args([m.collateral], [1]))
        assert await m.mined(await send_set_prices(m, m.liquidator, set_prices_args([m.collateral], [1]))) == ("success", None)


async def test_more_than_four_assets_or_a_wrong_shape_is_invalid_input() -> None:
    async with nocom_market() as m:
        admin = await m.client.register_account(m.feed["adminSecretKey"])
        five = set_prices_args([m.collateral] * 4, [1] * 4, assets_len=5)
        with pytest.raises(PxeInvalidInput, match="set_prices.asset_addresses holds at most 4 items, got a length of 5"):
            await send_set_prices(m, admin, five)
        with pytest.raises(PxeInvalidInput, match=r"set_prices takes 10 fields \(asset_addresses, prices\), got 11"):
            await send_set_prices(m, admin, [to_field(0)] * 11)
        with pytest.raises(PxeInvalidInput, match=r"set_prices.prices\[0\] must fit u128"):
            await send_set_prices(m, admin, set_prices_args([m.collateral], [2**128]))


async def test_prices_shorter_than_assets_write_the_padding_as_the_contract_does() -> None:
    async with nocom_market() as m:
        admin = await m.client.register_account(m.feed["adminSecretKey"])
        # Two assets, one price (len 1) but a second value in the padding: get_unchecked(1) reads it.
        args = set_prices_args([m.collateral, m.debt], [500 * USD, 2 * USD], prices_len=1)
        assert await m.mined(await send_set_prices(m, admin, args)) == ("success", None)
        assert feed_prices(m, m.collateral, m.debt) == [500 * USD, 2 * USD]
        # The usual short encoding pads with zeros: the second asset's price becomes 0.
        assert await m.mined(await send_set_prices(m, admin, set_prices_args([m.collateral, m.debt], [450 * USD]))) == (
            "success", None)
        assert feed_prices(m, m.collateral, m.debt) == [450 * USD, 0]
