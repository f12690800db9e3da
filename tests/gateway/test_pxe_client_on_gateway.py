"""shared.pxe.PxeClient against the real gateway (gateway/, Aztec's PXE embedded) on a loopback stub node.

Everything here needs no chain: transport, batches, error codes, accounts and contract registration.
What needs a chain (notes, views, authwits signed for a deployed account, proving, receipts of real
transactions) is in tests/aztec/, run by an operator with `AZTEC_NODE_URL=... make test-aztec`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.pxe import Call, PxeClient, PxeError, PxeInvalidInput, PxeMethodNotFound, PxeReverted, normalize_address, to_field
from tests.gateway.conftest import GATEWAY_DIR, RunningGateway

DEPLOYMENTS = json.loads((GATEWAY_DIR / "artifacts" / "nocom-v1.deployments.json").read_text())
FEED = DEPLOYMENTS["priceOracle"]
LIQUIDATOR_KEY = to_field(0xC0FFEE)
UNKNOWN = to_field(0x1234)


@pytest.fixture
async def client(gateway: RunningGateway) -> AsyncIterator[PxeClient]:
    async with PxeClient(gateway.url, timeout=30.0, backoff=0.01) as pxe_client:
        yield pxe_client


async def test_status_ready_and_block_number(client: PxeClient, gateway: RunningGateway) -> None:
    assert await client.status() is True
    assert await client.is_ready() is True
    assert await client.block_number() == 0  # the stub node's chain is empty
    assert gateway.started_in < 30


async def test_register_account_is_deterministic(client: PxeClient) -> None:
    first = await client.register_account(LIQUIDATOR_KEY)
    assert first == normalize_address(first)
    assert first == await client.register_account(LIQUIDATOR_KEY)
    assert first != await client.register_account(to_field(0xBEEF))
    salted = await client.call("pxe_registerAccount", [LIQUIDATOR_KEY, to_field(1)])
    assert normalize_address(salted["address"]) != first


async def test_register_the_deployed_price_feed(client: PxeClient) -> None:
    instance = json.loads(FEED["instance"])
    await client.register_contract(instance)  # class id and address recompute, the artifact ships with the gateway
    with pytest.raises(PxeInvalidInput, match="secretKey does not belong to this contract instance"):
        await client.register_contract(instance, to_field(12345))
    with pytest.raises(PxeInvalidInput, match="instance.address does not match"):
        await client.register_contract({**instance, "salt": to_field(1)})
    with pytest.raises(PxeInvalidInput, match="instance"):
        await client.register_contract({"address": UNKNOWN, "salt": "nope"})


async def test_functions_resolve_by_name_from_the_artifact(client: PxeClient) -> None:
    await client.register_contract(json.loads(FEED["instance"]))
    with pytest.raises(PxeReverted, match="Unknown function get_everything in contract MockPriceFeed"):
        await client.simulate_utility("get_everything", [], FEED["address"])
    with pytest.raises(PxeInvalidInput, match="get_prices is a public function; pxe_simulateUtility runs utility functions"):
        await client.simulate_utility("get_prices", [1, 2, 2], FEED["address"])
    with pytest.raises(PxeInvalidInput, match="get_prices takes 3 fields"):
        await client.call("pxe_simulateView", ["get_prices", [to_field(1)], FEED["address"]])
    with pytest.raises(PxeInvalidInput, match="set_prices is not a #\\[view\\] function"):
        await client.call("pxe_simulateView", ["set_prices", [to_field(0)] * 10, FEED["address"]])


async def test_unknown_contract_reverts(client: PxeClient) -> None:
    with pytest.raises(PxeReverted, match="No contract instance found"):
        await client.simulate_utility("get_config", [], UNKNOWN)
    liquidator = await client.register_account(LIQUIDATOR_KEY)
    with pytest.raises(PxeReverted, match="No contract instance found"):
        await client.send_tx([Call("liquidate", UNKNOWN, [to_field(1)] * 4)], [], liquidator)


async def test_unknown_account_cannot_sign_or_send(client: PxeClient) -> None:
    transfer = Call("transfer_private_to_public", UNKNOWN, [to_field(1), to_field(2), to_field(3), to_field(4)])
    with pytest.raises(PxeInvalidInput, match="Unknown account"):
        await client.create_authwit(to_field(999), UNKNOWN, transfer)
    with pytest.raises(PxeInvalidInput, match="Unknown account"):
        await client.send_tx([Call("liquidate", UNKNOWN, [])], [], to_field(999))


async def test_unknown_tx_is_dropped(client: PxeClient) -> None:
    receipt = await client.get_tx_receipt(to_field(42))
    assert (receipt.status, receipt.is_final) == ("dropped", True)


async def test_invalid_input_and_unknown_method(client: PxeClient) -> None:
    with pytest.raises(PxeInvalidInput):
        await client.call("pxe_simulateUtility", ["get_config", "not-a-list", UNKNOWN])
    with pytest.raises(PxeInvalidInput, match="calls must be a non-empty array"):
        await client.call("pxe_sendTx", [{"calls": []}, {"from": UNKNOWN}])
    with pytest.raises(PxeInvalidInput, match="txHash must be a field element"):
        await client.call("node_getTxReceipt", ["0xzz"])
    with pytest.raises(PxeMethodNotFound):
        await client.call("pxe_doesNotExist", [])


async def test_batches_answer_per_call(client: PxeClient) -> None:
    answers = await client.call_many([
        ("node_isReady", []), ("node_getBlockNumber", []), ("node_getTxReceipt", ["bad"]), ("pxe_nope", []),
    ])
    assert answers[0] is True and answers[1] == 0
    assert isinstance(answers[2], PxeInvalidInput) and isinstance(answers[3], PxeMethodNotFound)
    assert client._batches_supported is True  # the gateway takes JSON-RPC 2.0 arrays
    results = await client.create_authwits(to_field(999), [(UNKNOWN, Call("x", UNKNOWN, []))] * 2)
    assert all(isinstance(r, PxeError) for r in results)


def test_gateway_logs_json_lines(gateway: RunningGateway) -> None:
    lines = [json.loads(line) for line in Path(gateway.log).read_text().splitlines() if line.strip()]
    assert lines, "the gateway logged nothing"
    assert all({"timestamp", "level", "service", "event"} <= line.keys() for line in lines)
    assert {line["service"] for line in lines} == {"pxe-gateway"}
    events = {line["event"] for line in lines}
    assert {"Service started", "PXE started", "Gateway ready"} <= events
    assert LIQUIDATOR_KEY not in Path(gateway.log).read_text()  # a secret key is never logged
