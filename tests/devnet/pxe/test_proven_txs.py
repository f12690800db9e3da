"""pxe_proveTx, pxe_sendProvenTx and pxe_getTxLimits on the development PXE, and transactions of several
calls: each runs in order and the tx reverts as a whole if one reverts, as Aztec's do."""

from __future__ import annotations

import pytest

from shared.pxe import Call, PxeInvalidInput, PxeReverted, to_field
from tests.devnet.pxe.lending_pools import UNIT, lending_pool
from tests.devnet.pxe.nocom_market import USD, nocom_market

PROTOCOLS = ["reference", "nocom-v1"]
ZERO = to_field(0)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_proven_tx_is_kept_unsent_until_sent_and_sending_it_twice_is_harmless(protocol: str) -> None:
    async with lending_pool(protocol) as p:
        escrow = p.escrow()["address"]
        before = p.pxe.admin.get_position(escrow)
        call, authwit = await p.liquidation(escrow, 1_000 * UNIT, nonce=1)
        proven = await p.call("pxe_proveTx", p.tx_params([call], [authwit]))
        tx_hash = proven["txHash"]
        p.pxe.admin.mine_block()
        assert (await p.client.get_tx_receipt(tx_hash)).status == "dropped"  # the node never heard of it
        assert await p.call("dev_listTxs") == [] and p.pxe.admin.get_position(escrow) == before

        assert await p.call("pxe_sendProvenTx", [tx_hash]) == tx_hash
        assert await p.call("pxe_sendProvenTx", [tx_hash]) == tx_hash  # again: the node knows it, nothing new
        assert await p.mined(tx_hash) == ("success", None)
        assert await p.call("pxe_sendProvenTx", [tx_hash]) == tx_hash
        assert [t["txHash"] for t in await p.call("dev_listTxs")] == [tx_hash]
        assert int(p.pxe.admin.get_position(escrow)["loanPrincipal"]) == int(before["loanPrincipal"]) - 1_000 * UNIT


async def test_an_unknown_or_expired_proven_tx_cannot_be_sent() -> None:
    async with nocom_market() as m:
        escrow = m.escrow(20 * UNIT, 7_000 * UNIT)
        m.admin.mint(m.debt, m.liquidator, 5_000 * UNIT)
        with pytest.raises(PxeInvalidInput, match="txHash: no proven transaction"):
            await m.admin.acall("pxe_sendProvenTx", [to_field(0xBAD)])

        call, authwit = await m.liquidation(escrow, 1_000 * UNIT, 437 * USD, USD)
        params = [{"calls": [call.to_json()], "authWitnesses": [authwit]}, {"from": m.liquidator}]
        kept = (await m.admin.acall("pxe_proveTx", params))["txHash"]
        m.clock.now += 600  # kept for 10 minutes of the PXE's clock...
        assert await m.admin.acall("pxe_sendProvenTx", [kept]) == kept
        stale = (await m.admin.acall("pxe_proveTx", params))["txHash"]
        m.clock.now += 601  # ...and no longer
        with pytest.raises(PxeInvalidInput, match="txHash: no proven transaction"):
            await m.admin.acall("pxe_sendProvenTx", [stale])
        assert (await m.client.get_tx_receipt(stale)).status == "dropped"


async def test_a_tx_that_reverts_in_simulation_is_neither_proven_nor_kept() -> None:
    async with nocom_market() as m:
        healthy = m.escrow(20 * UNIT, 700 * UNIT)
        m.admin.mint(m.debt, m.liquidator, 5_000 * UNIT)
        call, authwit = await m.liquidation(healthy, 100 * UNIT, 437 * USD, USD)
        with pytest.raises(PxeReverted, match="^Position healthy, cannot liquidate$"):
            await m.admin.acall("pxe_proveTx", [{"calls": [call.to_json()], "authWitnesses": [authwit]}, {"from": m.liquidator}])
        assert m.pxe.state.proven == {}


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_several_liquidations_share_a_tx_and_revert_together(protocol: str) -> None:
    async with lending_pool(protocol) as p:
        first, second, healthy = p.escrow()["address"], p.escrow()["address"], p.escrow(healthy=True)["address"]
        parts = [await p.liquidation(e, 1_000 * UNIT, nonce=n) for n, e in enumerate((first, second, healthy), start=1)]
        positions = {e: p.pxe.admin.get_position(e) for e in (first, second, healthy)}

        with pytest.raises(PxeReverted, match="^Position healthy, cannot liquidate$"):  # the third call: the whole tx
            await p.client.send_tx([c for c, _ in parts], [a for _, a in parts], p.liquidator)
        assert {e: p.pxe.admin.get_position(e) for e in positions} == positions and await p.call("dev_listTxs") == []

        tx_hash = await p.client.send_tx([c for c, _ in parts[:2]], [a for _, a in parts[:2]], p.liquidator)
        assert await p.mined(tx_hash) == ("success", None)
        for escrow in (first, second):
            assert int(p.pxe.admin.get_position(escrow)["loanPrincipal"]) == int(positions[escrow]["loanPrincipal"]) - 1_000 * UNIT


async def test_several_set_prices_share_a_tx_and_a_failing_call_reverts_the_earlier_ones() -> None:
    async with nocom_market() as m:
        feed, admin = m.feed["address"], m.feed["admin"]

        def set_price(token: str, price: int) -> Call:
            return Call("set_prices", feed, [token, ZERO, ZERO, ZERO, to_field(1), to_field(price), ZERO, ZERO, ZERO, to_field(1)])

        tx_hash = await m.client.send_tx([set_price(m.collateral, 400 * USD), set_price(m.debt, 2 * USD),
                                          set_price(m.collateral, 450 * USD)], [], admin)
        assert await m.mined(tx_hash) == ("success", None)
        assert m.admin.view("get_prices", [m.collateral, m.debt, 2], feed) == [450 * USD, 2 * USD, 2]  # in order: the last wins

        # change_admin first, then set_prices from the old admin: the second call fails, so the first never happened.
        with pytest.raises(PxeReverted, match="^Only admin can set prices$"):
            await m.client.send_tx([Call("change_admin", feed, [m.liquidator]), set_price(m.debt, USD)], [], admin)
        tx_hash = await m.client.send_tx([set_price(m.debt, 3 * USD)], [], admin)  # still the admin
        assert await m.mined(tx_hash) == ("success", None)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_tx_carries_at_most_max_calls_and_more_answer_before_any_work(protocol: str) -> None:
    async with lending_pool(protocol, max_calls=2) as p:
        assert await p.call("pxe_getTxLimits") == {"maxCallsPerTx": 2}
        escrows = [p.escrow()["address"] for _ in range(3)]
        parts = [await p.liquidation(e, 1_000 * UNIT, nonce=n) for n, e in enumerate(escrows, start=1)]
        for method in ("pxe_sendTx", "pxe_proveTx"):
            with pytest.raises(PxeInvalidInput, match="^calls: 3 calls, but a transaction of this PXE's accounts carries at most 2"):
                await p.call(method, p.tx_params([c for c, _ in parts], [a for _, a in parts]))
        stats = await p.call("dev_getJobStats")
        assert "pxe_sendTx" not in stats["jobs"] and "pxe_proveTx" not in stats["jobs"]  # never became a job
        assert await p.call("dev_listTxs") == [] and p.pxe.state.proven == {}


async def test_the_default_limit_is_the_schnorr_accounts_five() -> None:
    async with nocom_market() as m:
        assert await m.admin.acall("pxe_getTxLimits") == {"maxCallsPerTx": 5}
