"""The httpx provider survives what hung web3's own async provider: cancelled requests."""

import asyncio

from services.price_service.evm.chain import Chain


async def test_cancelled_requests_leave_the_chain_usable(local_chain) -> None:  # type: ignore[no-untyped-def]
    chain = await Chain.connect(local_chain.url)
    try:
        for _ in range(20):
            pending = [asyncio.create_task(chain.w3.eth.block_number) for _ in range(8)]
            await asyncio.sleep(0)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        number = await asyncio.wait_for(chain.w3.eth.block_number, 5)
        assert number >= 0 and await chain.is_connected()
    finally:
        await chain.close()


async def test_unreachable_node_is_reported_not_hung() -> None:
    from devnet.chain.local import free_port

    chain = Chain(f"http://127.0.0.1:{free_port()}", request_timeout=2)
    assert not await asyncio.wait_for(chain.is_connected(), 10)
    await chain.close()
