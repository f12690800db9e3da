"""The price service on real chains when things go wrong: a transaction that is not mined, an RPC
endpoint that dies. CoinMarketCap is mocked with respx; the chains are real (anvil or py-evm)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from services.price_service.evm.chain import Chain
from tests.fixtures.chain import ChainStarter, deploy_fresh_oracle, set_automine
from tests.services.price_service.service_harness import AUTH, Cmc, read_onchain, running, settings_for, settle

BTC = "97000.5"


async def health_of(client: httpx.AsyncClient) -> dict[str, Any]:
    return (await client.get("/health")).json()  # type: ignore[no-any-return]


async def test_polls_go_on_while_a_transaction_waits_and_health_says_so(own_chains: ChainStarter, cmc: Cmc,
                                                                         engine: Any) -> None:
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
            await set_automine(chain, True)
            await service.keeper.idle(60)
            assert (await read_onchain(local.url, oracle, "BTC"))[0] == 9700050000000
            metrics = (await client.get("/metrics")).text
            assert "price_service_tx_replacements_total" in metrics
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
