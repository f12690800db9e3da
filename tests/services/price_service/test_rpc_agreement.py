"""The price service's RPC endpoints chosen by agreement (issue 21), end to end in process: with
RPC_URL=real,liar the liar (block 0xfffffff, an empty balance) is never used for a read, a balance or a send;
a CHAIN_ID no endpoint is on stops every push and /health says why."""

from __future__ import annotations

from typing import Any

from devnet.chain.local import LocalChain
from tests.fixtures.recorder import Recorder
from tests.services.price_service.service_harness import AUTH, Cmc, read_onchain, running, settings_for, settle
from tests.shared.jsonrpc_proxy import proxy


async def test_a_liar_in_rpc_url_is_never_chosen_and_health_shows_the_endpoint_in_use(
        local_chain: LocalChain, oracle_address: str, cmc: Cmc, engine: Recorder) -> None:
    async with proxy(local_chain.url, eth_blockNumber=hex(0xFFFFFFF), eth_getBalance="0x0") as (liar, seen):
        settings = settings_for(f"{local_chain.url},{liar}", oracle_address, local_chain.keys[1], engine.url)
        cmc.quote("BTC", "97123")
        async with running(settings) as (client, service):
            assert (await client.post("/assets", json={"symbol": "BTC"}, headers=AUTH)).status_code == 201
            await settle(service)
            assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 97123 * 10**8
            checks: dict[str, Any] = (await client.get("/health")).json()["checks"]
            assert checks["rpcEndpoint"] == local_chain.url and float(checks["updaterBalanceEther"]) > 0
            standing = {e["endpoint"]: e["standing"] for e in checks["rpcEndpoints"]}
            assert standing == {local_chain.url: "ok", liar: "unconfirmed"}
        assert set(seen.calls) == {"eth_chainId", "eth_blockNumber"}  # probed, never used


async def test_a_chain_id_no_endpoint_is_on_stops_pushes_and_health_says_why(
        local_chain: LocalChain, oracle_address: str, cmc: Cmc, engine: Recorder) -> None:
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url, chain_id="1")
    cmc.quote("BTC", "97123")
    async with running(settings) as (client, service):
        answer = await client.get("/health")
        body = answer.json()
        assert answer.status_code == 503 and body["checks"]["chain"] == "unreachable"
        assert f"chain id {local_chain.chain_id}, expected 1" in body["checks"]["chainError"]
        assert service.keeper.push is None
