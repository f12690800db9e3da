"""RPC failover (issue 15) with two real chains: one stopped mid-run, one lagging, one hanging.

Both chains run the same chain id with the same dev accounts, so the oracle deployed by the same
deployer at nonce 0 has the same address on both; each holds its own price, which tells the test
which node answered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from services.price_service.evm.chain import Chain, TxSender
from services.price_service.evm.errors import TxFailed
from services.price_service.evm.oracle import PriceOracle, deploy_oracle
from shared.feeds.evm_oracle import OracleReader
from tests.fixtures.chain import ChainStarter, rpc

ETH_A, ETH_B = 3_000 * 10**8, 3_100 * 10**8


def with_secrets(url: str) -> str:
    """The same node behind credentials an operator might put in RPC_URL (anvil ignores them)."""
    return url.replace("http://", "http://user:s3cret@") + "/?apikey=k3y"


async def oracle_with_price(url: str, keys: list[str], price: int) -> str:
    async with Chain(url) as chain:
        address = await deploy_oracle(chain, TxSender(chain, keys[0]), TxSender(chain, keys[1]).address)
        await PriceOracle(chain, address, TxSender(chain, keys[1])).set_prices({"ETH": (price, int(time.time()))})
        return address


async def test_a_stopped_endpoint_is_left_for_the_next_within_one_call(own_chains: ChainStarter) -> None:
    a, b = own_chains.start(), own_chains.start()
    address = await oracle_with_price(a.url, a.keys, ETH_A)
    assert await oracle_with_price(b.url, b.keys, ETH_B) == address
    chain = await Chain.connect([with_secrets(a.url), b.url], request_timeout=2, probe_interval=3600)
    reader = OracleReader(chain.endpoints, address)
    try:
        assert chain.current_endpoint == f"http://***@127.0.0.1:{a.port}/?***"
        assert (await reader.read(["ETH"]))["ETH"].price == ETH_A
        for text in (repr(chain), repr(chain.endpoints), str(chain.w3.provider), repr(TxSender(chain, a.keys[1]))):
            assert "s3cret" not in text and "k3y" not in text

        a.kill()  # stopped mid-run: the very next read is answered by the other node
        assert (await reader.read(["ETH"]))["ETH"].price == ETH_B
        assert chain.current_endpoint == reader.current_endpoint == b.url
        # A send too: the nonce comes from the node now in use (one manager per account per chain id).
        sender = TxSender(chain, b.keys[1], poll_interval=0.02)
        result = await PriceOracle(chain, address, sender).set_prices({"ETH": (ETH_B + 1, int(time.time()) + 1)})
        assert result.nonce == 1 and (await reader.read(["ETH"]))["ETH"].price == ETH_B + 1
        assert chain.endpoints.failovers == 1
    finally:
        await reader.close()
        await chain.close()


async def test_the_preferred_endpoint_is_used_again_once_healthy(own_chains: ChainStarter) -> None:
    a, b = own_chains.start(), own_chains.start()
    chain = await Chain.connect([a.url, b.url], request_timeout=2, probe_interval=0.3)
    try:
        await chain.block_number()
        a.kill()
        await chain.block_number()
        assert chain.current_endpoint == b.url
        own_chains.restart(a)
        await asyncio.sleep(0.4)  # the next call after the probe interval probes all, preferred first
        await chain.block_number()
        assert chain.current_endpoint == a.url
        assert [s["failed"] for s in chain.endpoints.status()] == [False, False]
    finally:
        await chain.close()


async def test_an_endpoint_lagging_more_than_max_lag_blocks_is_skipped(own_chains: ChainStarter) -> None:
    # Lagging behind what the others agree on: b and c both reach block 10, so 10 is confirmed and a,
    # at 0, lags. (With two endpoints that disagree, neither confirms the other's higher claim:
    # tests/shared/evm/test_endpoint_agreement.py.)
    a, b, c = own_chains.start(), own_chains.start(), own_chains.start()
    chain = await Chain.connect([a.url, b.url, c.url], request_timeout=2, probe_interval=0.2, max_lag_blocks=5)
    try:
        assert chain.current_endpoint == a.url
        for ahead in (b, c):
            async with Chain(ahead.url) as node:
                await rpc(node, "anvil_mine", hex(10))  # a is now 10 blocks behind b and c
        await asyncio.sleep(0.25)
        assert await chain.block_number() == 10 and chain.current_endpoint == b.url
        assert [s["lagging"] for s in chain.endpoints.status()] == [True, False, False]
        async with Chain(a.url) as node_a:
            await rpc(node_a, "anvil_mine", hex(8))  # 2 behind: within max_lag_blocks, preferred again
        await asyncio.sleep(0.25)
        assert await chain.block_number() == 8 and chain.current_endpoint == a.url
    finally:
        await chain.close()


@asynccontextmanager
async def hanging_server() -> AsyncIterator[str]:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


@asynccontextmanager
async def failing_server(status: int) -> AsyncIterator[str]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(f"HTTP/1.1 {status} Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


async def test_a_node_that_times_out_or_answers_5xx_is_left_for_the_next(own_chains: ChainStarter) -> None:
    node = own_chains.start()
    async with hanging_server() as hanging, failing_server(503) as failing:
        started = time.monotonic()
        async with Chain([hanging, failing, node.url], request_timeout=0.5, probe_interval=3600) as chain:
            assert await chain.balance(TxSender(chain, node.keys[1]).address) == 10_000 * 10**18
            assert chain.current_endpoint == node.url
            status = {s["endpoint"]: s for s in chain.endpoints.status()}
            assert status[hanging]["failed"] and status[hanging]["error"] == "timed out"
            assert status[failing]["failed"] and status[failing]["error"] == "HTTP 503"
        assert time.monotonic() - started < 5


async def test_when_every_endpoint_fails_the_error_names_them_masked() -> None:
    async with failing_server(502) as failing:
        secret = with_secrets(failing)
        async with Chain([secret, free_url()], request_timeout=1) as chain:
            with pytest.raises(TxFailed) as caught:
                await chain.block_number()
        assert "HTTP 502" in caught.value.error and "unreachable" in caught.value.error
        assert "s3cret" not in str(caught.value) and "k3y" not in str(caught.value) and "***@" in str(caught.value)


def free_url() -> str:
    from devnet.chain.local import free_port

    return f"http://127.0.0.1:{free_port()}"
