"""The RPC endpoint in use is chosen by agreement (issue 21): its chain id must be the expected one
(CHAIN_ID, or the first reachable endpoint's, logged), and a block number no other endpoint confirms is
not trusted. The chain is a real local node; the liars are proxies in front of it (tests/shared/jsonrpc_proxy.py)."""

from __future__ import annotations

import json

import pytest

from devnet.chain.local import LocalChain
from shared.evm.endpoints import EndpointPool, NodeUnreachable
from shared.feeds.evm_oracle import OracleReader
from shared.feeds.onchain_price import PricesUnavailable
from shared.logging import configure_logging
from tests.services.price_service.service_harness import events
from tests.shared.jsonrpc_proxy import proxy as lying_node

LIE = hex(0xFFFFFFF)


async def block_of(pool: EndpointPool) -> int:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}).encode()
    return int(json.loads(await pool.post(body))["result"], 16)


def standing(pool: EndpointPool) -> list[object]:
    return [s["standing"] for s in pool.status()]


@pytest.mark.parametrize("liar_first", [False, True])
async def test_a_liar_claiming_block_0xfffffff_is_never_chosen_and_makes_nobody_lag(local_chain: LocalChain,
                                                                                   liar_first: bool) -> None:
    async with lying_node(local_chain.url, eth_blockNumber=LIE) as (liar, node):
        urls = [liar, local_chain.url] if liar_first else [local_chain.url, liar]
        pool = EndpointPool(urls, timeout=2, max_lag_blocks=5)
        try:
            honest = await block_of(pool)
            assert honest < 0xFFFFFFF and pool.current_url == local_chain.url
            by_url = dict(zip(urls, pool.status(), strict=True))
            assert by_url[local_chain.url]["standing"] == "ok" and not by_url[local_chain.url]["lagging"]
            assert by_url[liar]["standing"] == "unconfirmed" and by_url[liar]["block"] == 0xFFFFFFF
            assert node.calls.get("eth_blockNumber") == 1  # probed, never asked for its answer
        finally:
            await pool.close()


async def test_with_three_endpoints_the_two_that_agree_outvote_the_liar(local_chain: LocalChain) -> None:
    async with lying_node(local_chain.url, eth_blockNumber=LIE) as (liar, _), \
            lying_node(local_chain.url) as (mirror, _):
        pool = EndpointPool([liar, mirror, local_chain.url], timeout=2, max_lag_blocks=5)
        try:
            await block_of(pool)
            assert standing(pool) == ["unconfirmed", "ok", "ok"] and pool.current_url == mirror
        finally:
            await pool.close()


async def test_with_one_endpoint_there_is_nothing_to_compare(local_chain: LocalChain) -> None:
    async with lying_node(local_chain.url, eth_blockNumber=LIE) as (liar, _):
        pool = EndpointPool([liar], timeout=2)
        try:
            assert await block_of(pool) == 0xFFFFFFF and standing(pool) == ["ok"]
        finally:
            await pool.close()


async def test_without_chain_id_the_first_reachable_endpoint_fixes_the_chain_logged_and_the_others_must_match(
        local_chain: LocalChain, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("price-service")
    async with lying_node(local_chain.url, eth_chainId="0x1") as (mainnet, node):
        pool = EndpointPool([local_chain.url, mainnet], timeout=2)
        try:
            await block_of(pool)
            assert pool.chain_id == local_chain.chain_id and standing(pool) == ["ok", "wrong chain"]
            out = capsys.readouterr().out
            [identified] = events(out, "RPC chain identified")
            assert identified["chainId"] == local_chain.chain_id and identified["endpoint"] == local_chain.url
            [wrong] = events(out, "RPC endpoint on another chain")
            assert (wrong["endpoint"], wrong["chainId"], wrong["expectedChainId"]) == (mainnet, 1, local_chain.chain_id)
            assert node.calls.get("eth_blockNumber") == 1  # probed only: never used, not even as a last resort
        finally:
            await pool.close()


async def test_an_endpoint_that_moves_to_another_chain_is_left(local_chain: LocalChain) -> None:
    async with lying_node(local_chain.url) as (switching, node):
        pool = EndpointPool([switching, local_chain.url], timeout=2, probe_interval=0)
        try:
            await block_of(pool)
            assert pool.current_url == switching
            node.lies["eth_chainId"] = "0x1"
            await block_of(pool)
            assert pool.current_url == local_chain.url and standing(pool) == ["wrong chain", "ok"]
        finally:
            await pool.close()


async def test_chain_id_set_refuses_every_endpoint_on_another_chain_and_says_which(local_chain: LocalChain) -> None:
    pool = EndpointPool([local_chain.url], timeout=2, chain_id=1, retries=0)
    try:
        with pytest.raises(NodeUnreachable, match=f"chain id {local_chain.chain_id}, expected 1"):
            await block_of(pool)
    finally:
        await pool.close()


async def test_the_engines_oracle_reader_checks_chain_id_too(local_chain: LocalChain) -> None:
    reader = OracleReader(local_chain.url, "0x" + "11" * 20, chain_id=local_chain.chain_id + 1)
    try:
        with pytest.raises(PricesUnavailable, match="expected"):
            await reader.read(["BTC"])
    finally:
        await reader.close()
