"""The price service on real chains when things go wrong: a transaction that is not mined, an RPC
endpoint that dies. CoinMarketCap is mocked with respx; the chains are real (anvil or py-evm)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from services.price_service.evm.chain import Chain
from tests.fixtures.chain import ChainStarter, deploy_fresh_oracle, set_automine
from tests.services.price_service.service_harness import AUTH, Cmc, events, read_onchain, running, settings_for, settle

BTC = "97000.5"


async def health_of(client: httpx.AsyncClient) -> dict[str, Any]:
    return (await client.get("/health")).json()  # type: ignore[no-any-return]


def metric(text: str, name: str) -> float:
    return float(re.search(rf"^{name} (\S+)$", text, re.M).group(1))  # type: ignore[union-attr]


async def test_polls_go_on_while_a_transaction_waits_and_health_says_so(own_chains: ChainStarter, cmc: Cmc,
                                                                         engine: Any, capsys: pytest.CaptureFixture[str]) -> None:
    local = own_chains.start()
    oracle = await deploy_fresh_oracle(local.url, local.keys)
    settings = settings_for(local.url, oracle, local.keys[1], engine.url, tx_replace_after=0.5, price_poll_interval=0.2)
    chain = await Chain.connect(local.url)
    try:
        cmc.prices = {"BTC": BTC}
        async with running(settings) as (client, service):
            await set_automine(chain, False)  # from now on transactions wait in the pool
            await client.post("/assets", json={"symbol": "BTC"}, headers=AUTH)
            fetches: list[int] = []
            for _ in range(8):
                cmc.quote("BTC", BTC)  # a newer observation each time
                await service.loop.run_now()
                fetches.append((await health_of(client))["lastFetchAt"])
                await asyncio.sleep(0.2)
            assert service.keeper.push is not None and not service.keeper.push.task.done()
            assert len(set(fetches)) > 1  # the polls went on while the push waited
            body = await health_of(client)
            assert body["status"] == "degraded" and body["checks"]["pendingUpdate"]["assets"] == ["BTC"]
            # While it waits, without /health being asked: the pending gauge moves, each fee bump is counted
            # and logged as it is placed (issue 21), not once the transaction is mined.
            first = (await client.get("/metrics")).text
            await asyncio.sleep(0.6)
            second = (await client.get("/metrics")).text
            pending = "price_service_push_pending_seconds"
            assert metric(second, pending) >= metric(first, pending) + 0.5
            replaced = metric(second, "price_service_tx_replacements_total")
            logged = events(capsys.readouterr().out, "Price update replaced")
            assert replaced >= 1 and len(logged) >= replaced and logged[0]["assets"] == ["BTC"]
            assert logged[0]["replacedTxHash"] != logged[0]["txHash"] and float(logged[0]["maxFeePerGasGwei"]) > 0
            await set_automine(chain, True)
            await service.keeper.idle(60)
            assert (await read_onchain(local.url, oracle, "BTC"))[0] == 9700050000000
    finally:
        await chain.close()


async def test_a_dead_rpc_endpoint_is_left_for_the_next_one(own_chains: ChainStarter, cmc: Cmc, engine: Any) -> None:
    first = own_chains.start()
    second = own_chains.start()
    oracles = [await deploy_fresh_oracle(c.url, c.keys) for c in (first, second)]
    assert oracles[0] == oracles[1]  # the same deployer nonce: the same address on both chains
    settings = settings_for(f"{first.url},{second.url}", oracles[0], first.keys[1], engine.url)
    cmc.prices = {"BTC": BTC}
    async with running(settings) as (client, service):
        await client.post("/assets", json={"symbol": "BTC"}, headers=AUTH)
        await settle(service)
        assert (await health_of(client))["checks"]["rpcEndpoint"] == first.url
        first.kill()
        cmc.quote("BTC", "99000")
        await settle(service)
        body = await health_of(client)
        assert body["checks"]["rpcEndpoint"] == second.url
        assert (await read_onchain(second.url, oracles[1], "BTC"))[0] == 99000 * 10**8
