"""The price service as an ASGI app against a real local EVM, CoinMarketCap mocked with respx."""

from __future__ import annotations

import json

from services.price_service.evm.chain import Chain
from tests.conftest import TEST_API_KEY
from tests.services.price_service.service_harness import (
    AUTH,
    CMC_KEY,
    events,
    read_onchain,
    running,
    settings_for,
    settle,
)


async def test_prices_go_on_chain_and_the_engine_is_notified(local_chain, oracle_address, cmc, engine, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url)
    cmc.prices = {"BTC": "97000.5", "ETH": "3500.123456789"}
    async with running(settings) as (client, service):
        for body in ({"symbol": "btc", "name": "Bitcoin"}, {"symbol": "ETH"}):
            assert (await client.post("/assets", json=body, headers=AUTH)).status_code == 201
        await settle(service)

        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 9700050000000
        eth_price, eth_time = await read_onchain(local_chain.url, oracle_address, "ETH")
        assert eth_price == 350012345679  # 3500.123456789 rounded half-even to 8 decimals
        # Every request asks for all tracked symbols at once.
        assert cmc.route.calls.last.request.url.params["symbol"] == "BTC,ETH"

        # Adding an asset wakes the loop at once, so the first prices may come in one or two batches.
        updates = {u["asset"]: u for r in engine.requests for u in r.body["updates"]}
        assert set(updates) == {"BTC", "ETH"}
        assert all(r.headers["x-api-key"] == TEST_API_KEY for r in engine.requests)
        assert updates["BTC"]["price"] == "97000.5" and updates["BTC"]["previousPrice"] is None
        assert updates["ETH"]["timestamp"] == eth_time and updates["ETH"]["txHash"].startswith("0x")
        sent_before = len(engine.requests)

        prices = (await client.get("/prices")).json()["prices"]
        btc = next(p for p in prices if p["asset"] == "BTC")
        assert btc["price"] == "97000.5" and btc["source"] == "cmc"
        assert btc["onChain"]["price"] == "97000.5" and btc["onChain"]["txHash"] == updates["BTC"]["txHash"]

        # 0.3 % is below the threshold: nothing is sent.
        cmc.quote("BTC", "97291.5015")
        await settle(service)
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 9700050000000
        # 0.6 % is above it: BTC alone goes on-chain.
        cmc.quote("BTC", "97582.503")
        await settle(service)
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 9758250300000
        second = (await engine.wait_for(sent_before + 1))[sent_before].body["updates"]
        assert [u["asset"] for u in second] == ["BTC"] and second[0]["previousPrice"] == "97000.5"

    out = capsys.readouterr().out
    first_reasons = {k: v for e in events(out, "Price updated on-chain")[:-1] for k, v in e["reasons"].items()}
    assert first_reasons == {"BTC": "initial", "ETH": "initial"}
    assert events(out, "Price updated on-chain")[-1]["reasons"] == {"BTC": "deviation"}
    assert any(e["asset"] == "BTC" for e in events(out, "Price change not significant"))
    assert events(out, "Price change")[0]["asset"] == "BTC"
    assert events(out, "Liquidation engine notified")
    assert TEST_API_KEY not in out and CMC_KEY not in out and local_chain.keys[1][2:] not in out


async def test_restart_keeps_assets_and_sends_no_redundant_update(local_chain, oracle_address, cmc, engine, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url)
    cmc.prices = {"SOL": "150.25"}
    async with running(settings) as (client, service):
        await client.post("/assets", json={"symbol": "SOL", "name": "Solana"}, headers=AUTH)
        await settle(service)
    before = await read_onchain(local_chain.url, oracle_address, "SOL")
    capsys.readouterr()

    async with running(settings) as (client, service):
        assets = (await client.get("/assets")).json()
        assert assets["count"] == 1 and assets["assets"][0]["symbol"] == "SOL" and assets["assets"][0]["name"] == "Solana"
        await settle(service)
        price = (await client.post("/prices", json={"assets": ["sol"]})).json()["prices"][0]
        assert price["onChain"]["updatedAt"] == before[1] and price["onChain"]["txHash"]
    assert await read_onchain(local_chain.url, oracle_address, "SOL") == before
    assert not events(capsys.readouterr().out, "Price updated on-chain")
    assert len(engine.requests) == 1


async def test_a_single_bad_quote_never_reaches_the_chain(local_chain, oracle_address, cmc, engine, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url)
    cmc.prices = {"BTC": "100000"}
    async with running(settings) as (client, service):
        await client.post("/assets", json={"symbol": "BTC"}, headers=AUTH)
        await settle(service)
        cmc.quote("BTC", "30000")  # -70 %: held
        await settle(service)
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 100000 * 10**8
        cmc.quote("BTC", "99900")  # the bad quote was alone: discarded
        await settle(service)
        cmc.quote("BTC", "31000")  # held again ...
        await settle(service)
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 100000 * 10**8
        cmc.quote("BTC", "30500")  # ... and confirmed by the next poll
        await settle(service)
        assert (await read_onchain(local_chain.url, oracle_address, "BTC"))[0] == 30500 * 10**8
    out = capsys.readouterr().out
    assert len(events(out, "Price jump held for confirmation")) == 2


async def test_failed_transaction_keeps_assets_due(local_chain, oracle_address, cmc, engine, capsys) -> None:  # type: ignore[no-untyped-def]
    # keys[2] is not the oracle's updater: every setPrices reverts until the owner allows it.
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[2], engine.url)
    cmc.prices = {"ETH": "3000"}
    async with running(settings) as (client, service):
        await client.post("/assets", json={"symbol": "ETH"}, headers=AUTH)
        await settle(service)
        await settle(service)
        failures = events(capsys.readouterr().out, "Price update failed")
        # Two cycles or more (adding the asset wakes the loop too), each one trying ETH again.
        assert len(failures) >= 2 and all(f["assets"] == ["ETH"] and "Not updater" in f["error"] for f in failures)
        health = await client.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "degraded"

        await set_updater(local_chain, oracle_address, local_chain.keys[2])
        await settle(service)
        assert (await read_onchain(local_chain.url, oracle_address, "ETH"))[0] == 3000 * 10**8
        assert (await client.get("/health")).json()["status"] == "healthy"
        metrics = (await client.get("/metrics")).text
        assert 'price_service_onchain_updates_total{reason="initial"} 1.0' in metrics
        assert f"price_service_onchain_update_failures_total {len(failures)}.0" in metrics
    assert len(engine.requests) == 1


async def set_updater(local_chain, oracle: str, key: str) -> None:  # type: ignore[no-untyped-def]
    from eth_account import Account

    from services.price_service.evm.chain import TxSender
    from services.price_service.evm.oracle import load_artifact

    chain = await Chain.connect(local_chain.url)
    try:
        contract = chain.w3.eth.contract(address=oracle, abi=load_artifact()["abi"])
        data = contract.encode_abi("setUpdater", [Account.from_key(key).address])
        await TxSender(chain, local_chain.keys[0]).send(oracle, data)
    finally:
        await chain.close()


async def test_bad_input_gets_clear_4xx(local_chain, oracle_address, cmc, engine) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(local_chain.url, oracle_address, local_chain.keys[1], engine.url, max_tracked_assets=2)
    async with running(settings) as (client, _service):
        cases = [
            ("post", "/assets", {"symbol": "BTC"}, {}, 401),
            ("post", "/assets", {"symbol": "BTC-USD"}, AUTH, 422),
            ("post", "/assets", {"symbol": ""}, AUTH, 422),
            ("post", "/assets", {"symbol": "A" * 16}, AUTH, 422),
            ("post", "/assets", {"name": "no symbol"}, AUTH, 422),
            ("post", "/assets", {"symbol": "BTC"}, AUTH, 201),
            ("post", "/assets", {"symbol": "btc"}, AUTH, 409),
            ("post", "/assets", {"symbol": "ETH"}, AUTH, 201),
            ("post", "/assets", {"symbol": "SOL"}, AUTH, 409),
            ("delete", "/assets/DOGE", None, AUTH, 404),
            ("delete", "/assets/BTC", None, {}, 401),
            ("post", "/prices", {"assets": []}, {}, 422),
            ("post", "/prices", {"assets": ["BTC"] * 31}, {}, 422),
            ("post", "/prices", {"assets": ["DOGE"]}, {}, 404),
            ("post", "/prices", {"assets": ["B@D"]}, {}, 422),
        ]
        for method, path, body, headers, status in cases:
            r = await client.request(method, path, json=body, headers=headers)
            assert r.status_code == status, (method, path, body, r.text)
            assert r.status_code < 300 or set(r.json()) >= {"error"}
        assert (await client.post("/assets", content=b"{", headers={**AUTH, "content-type": "application/json"})).status_code == 400
        big = json.dumps({"symbol": "BTC", "name": "x" * 100_000})
        assert (await client.post("/assets", content=big, headers={**AUTH, "content-type": "application/json"})).status_code == 413
        r = await client.delete("/assets/eth", headers=AUTH)
        assert r.status_code == 200 and r.json()["symbol"] == "ETH"
        assert (await client.get("/assets")).json()["count"] == 1


async def test_unreachable_chain_is_unhealthy_and_pushes_nothing(cmc, engine, capsys) -> None:  # type: ignore[no-untyped-def]
    from devnet.chain.local import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    settings = settings_for(dead, "0x" + "11" * 20, "0x" + "22" * 32, engine.url)
    cmc.prices = {"BTC": "97000"}
    async with running(settings) as (client, service):
        await client.post("/assets", json={"symbol": "BTC"}, headers=AUTH)
        await settle(service)
        health = await client.get("/health")
        assert health.status_code == 503 and health.json()["status"] == "unhealthy"
        assert health.json()["checks"]["chain"] == "unreachable"
    assert not engine.requests
    assert events(capsys.readouterr().out, "Price update failed")
