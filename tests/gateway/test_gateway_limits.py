"""shared.pxe.PxeClient against the gateway's limits and the methods a real node needed (stub node, no chain).

The gateway runs with GATEWAY_MAX_BATCH=5 and GATEWAY_MAX_ACCOUNTS=3 here. What needs a chain (views
without `from`, notes, proofs, the storage word equal to the feed's view) is proven in
gateway/test/local_network.test.ts against ../shared/aztec-net.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from shared.pxe import Call, PxeClient, PxeInvalidInput, to_field
from tests.gateway.conftest import RunningGateway, stub_gateway

MAX_BATCH, MAX_ACCOUNTS = 5, 3
UNKNOWN = to_field(0x1234)


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    with stub_gateway(tmp_path_factory.mktemp("limits"), GATEWAY_MAX_BATCH=str(MAX_BATCH), GATEWAY_MAX_ACCOUNTS=str(MAX_ACCOUNTS)) as running:
        yield running


@pytest.fixture
async def client(limited: RunningGateway) -> AsyncIterator[PxeClient]:
    async with PxeClient(limited.url, timeout=30.0, backoff=0.01) as pxe_client:
        yield pxe_client


async def test_call_limit_refuses_a_sixth_call_before_any_work(client: PxeClient) -> None:
    assert await client.call("pxe_getTxLimits", []) == {"maxCallsPerTx": 5}
    liquidator = await client.register_account(to_field(0xC0FFEE))
    calls = [Call("liquidate", UNKNOWN, [to_field(i), to_field(0), to_field(1), to_field(1)]) for i in range(6)]
    with pytest.raises(PxeInvalidInput, match="at most 5 calls"):
        await client.send_tx(calls, [], liquidator)
    with pytest.raises(PxeInvalidInput, match="at most 5 calls"):
        await client.call("pxe_proveTx", [{"calls": [c.to_json() for c in calls], "authWitnesses": []}, {"from": liquidator}])


async def test_proven_tx_unknown_hash_is_invalid_input(client: PxeClient) -> None:
    with pytest.raises(PxeInvalidInput, match="no proven transaction"):
        await client.call("pxe_sendProvenTx", [to_field(0xDEAD)])


async def test_register_sender_and_public_storage(client: PxeClient) -> None:
    assert await client.call("pxe_registerSender", [to_field(0xB0B)]) is None
    assert await client.call("node_getPublicStorageAt", ["latest", UNKNOWN, to_field(1)]) == to_field(0)


async def test_batches_past_the_limit_fall_back_to_single_calls(client: PxeClient) -> None:
    answers = await client.call_many([("node_getBlockNumber", [])] * MAX_BATCH)
    assert answers == [0] * MAX_BATCH and client._batches_supported is True
    answers = await client.call_many([("node_getBlockNumber", [])] * (MAX_BATCH + 1))
    assert answers == [0] * (MAX_BATCH + 1)  # the gateway refused the batch whole; the client sent each call alone
    assert client._batches_supported is False


async def test_accounts_past_the_limit_are_refused(client: PxeClient, limited: RunningGateway) -> None:
    held = [await client.register_account(to_field(key)) for key in (0xC0FFEE, 0xA1, 0xA2)]  # 0xC0FFEE again: one account
    assert len(set(held)) == MAX_ACCOUNTS
    with pytest.raises(PxeInvalidInput, match="limit of 3 accounts \\(GATEWAY_MAX_ACCOUNTS\\)"):
        await client.register_account(to_field(0xA3))
    assert await client.register_account(to_field(0xA1)) == held[1]
