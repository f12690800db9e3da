"""Liquidations bundled, against the development PXE over real HTTP and a real anvil PriceOracle: up to the
entrypoint's call limit per transaction, the most at risk first, each liquidation its own row (the hash
shared) and its own outcome; a bundle that reverts is halved until the culprit is alone; bundles spread
over the send gateways while receipts and re-reads go through the read gateway."""

from __future__ import annotations

from devnet.chain.local import LocalChain
from tests.services.liquidation_engine.engine_stack import (
    E18,
    P8,
    Logs,
    Stack,
    another_gateway,
    running_engine,
    running_stack,
    slow_sends,
)


async def test_a_burst_goes_out_in_bundles_of_the_call_limit_the_most_at_risk_first(engine: Stack) -> None:
    s = engine
    # Unhealthy at 55 000; the larger the debt, the more at risk.
    escrows = [await s.escrow(E18, (45_000 + 100 * i) * E18) for i in range(12)]
    await s.set_prices(BTC=55_000 * P8)
    await s.notify_and_settle("BTC")
    txs = list(s.pxe.state.txs.values())
    assert [len(tx.calls) for tx in txs] == [5, 5, 2]  # the dev PXE's accounts carry 5 calls (pxe_getTxLimits)
    assert [c.to for tx in txs for c in tx.calls] == escrows[::-1]
    assert s.pxe.calls["pxe_proveTx"] == 3 and s.pxe.calls["pxe_sendTx"] == 0
    rows = await s.liquidations(limit=50)
    in_tx = {c.to: tx.hash for tx in txs for c in tx.calls}
    assert sorted((r["escrow"], r["txHash"], r["status"]) for r in rows) == sorted(
        (e, in_tx[e], "succeeded") for e in escrows)  # each its own row and outcome, the hash shared
    for escrow in escrows:
        assert (await s.position(escrow))[0] < E18
    assert s.engine is not None
    count = s.engine.metrics.registry.get_sample_value("liquidation_engine_tx_liquidations_count")
    assert count == 3


async def test_a_reverted_bundle_is_halved_until_the_culprit_is_alone_and_the_rest_still_go_out(
    stack: Stack, local_chain: LocalChain, oracle_address: str, logs: Logs
) -> None:
    async with running_engine(stack, local_chain, oracle_address, cooldown_base=30, cooldown_max=60) as s:
        await _halved_until_the_culprit_is_alone(s, logs)


async def _halved_until_the_culprit_is_alone(s: Stack, logs: Logs) -> None:
    escrows = [await s.escrow(E18, (46_400 - 100 * i) * E18) for i in range(5)]  # most at risk first; healthy after one
    culprit = escrows[3]
    # The borrower of the fourth added collateral; the monitor has not synced it: the engine's copy is stale.
    await s.pxe.admin.acall("dev_setPosition", [culprit, str(2 * E18), str(46_100 * E18)])
    await s.set_prices(BTC=55_000 * P8)
    await s.notify_and_settle("BTC")
    # [1..5] reverts; [1,2,3] proves; [4,5] reverts; [4] reverts: the culprit; [5] proves.
    assert s.pxe.calls["pxe_proveTx"] == 5
    assert [[c.to for c in tx.calls] for tx in s.pxe.state.txs.values()] == [escrows[:3], escrows[4:]]
    rows = {r["escrow"]: r for r in await s.liquidations()}
    assert (rows[culprit]["status"], rows[culprit]["error"], rows[culprit]["txHash"]) == (
        "failed", "Position healthy, cannot liquidate", None)
    assert {e: rows[e]["status"] for e in escrows if e != culprit} == {e: "succeeded" for e in escrows if e != culprit}
    assert [e["calls"] for e in logs.events("Liquidation bundle reverted")] == [5, 2]
    assert await s.position(culprit) == (2 * E18, 46_100 * E18)


async def test_bundles_spread_over_the_send_gateways_and_reads_go_through_the_read_gateway(
    tmp_path, local_chain: LocalChain, oracle_address: str  # type: ignore[no-untyped-def]
) -> None:
    costs = slow_sends(0.02)  # each gateway proves one transaction at a time, 55 ms each
    async with running_stack(tmp_path, local_chain, oracle_address, costs=costs) as stack, \
            another_gateway(stack.pxe, costs) as second, another_gateway(stack.pxe, costs) as reader:
        async with running_engine(stack, local_chain, oracle_address, pxe_send_url=f"{stack.pxe.url},{second.url}",
                                  pxe_read_url=reader.url) as s:
            escrows = [await s.escrow(E18, (45_000 + 50 * i) * E18) for i in range(20)]  # healthy after one
            await s.set_prices(BTC=55_000 * P8)
            await s.notify_and_settle("BTC")
            rows = await s.liquidations(limit=50)
            assert sorted(r["escrow"] for r in rows if r["status"] == "succeeded") == sorted(escrows)
            senders = (stack.pxe, second)
            proofs = [g.calls["pxe_proveTx"] for g in senders]
            assert sum(proofs) == 4 and min(proofs) >= 1, proofs  # 20 liquidations in 4 bundles, on both
            assert all(g.calls["pxe_sendProvenTx"] == g.calls["pxe_proveTx"] for g in senders)  # sent where proven
            first_two = [c.to for tx in list(stack.pxe.state.txs.values())[:2] for c in tx.calls]
            assert sorted(first_two) == sorted(escrows[::-1][:10])  # the ten most at risk, one bundle on each
            assert reader.calls["pxe_proveTx"] == 0 and reader.calls["node_getTxReceipt"] > 0
            assert all(g.calls["node_getTxReceipt"] == 0 for g in senders)  # no receipt waits behind a proof
            assert reader.calls["pxe_simulateUtility"] > 0  # balances and the re-reads after success
            assert all(g.calls["pxe_registerAccount"] >= 1 for g in (*senders, reader))  # the liquidator on each
