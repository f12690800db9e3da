"""Opt-in: the monitor's read and the engine's liquidation through the gateway on a real Aztec network.

Skipped unless AZTEC_NODE_URL is set (`AZTEC_NODE_URL=http://node:8080 make test-aztec`). Needs a network
running Aztec 3.0.0-devnet.5 with nocom-v1 deployed, gateway/node_modules, and (environment, read once):

  AZTEC_NODE_URL            the node; the test starts its own gateway on it (or set GATEWAY_URL to use a running one)
  ARTIFACTS_DIR             directory with the pool and token artifacts (NocomLendingPoolV1, aztec-standards Token)
  AZTEC_ESCROW_INSTANCE     the escrow's contract instance, JSON (as nocom-v1's frontend stores it)
  AZTEC_ESCROW_SECRET_KEY   the escrow's secret key (decrypts its notes)
  AZTEC_ESCROW_OWNER_SECRET_KEY  the escrow owner's account secret key: the escrow's ConfigNote (get_config)
                            names the owner, and Aztec derives its nullifier from the owner's keys, so only a
                            PXE holding them reads it (measured, docs/pxe-jsonrpc.md "No note"); a Schnorr account
  AZTEC_ESCROW_OWNER_SALT   that account's salt (default 0)
  LIQUIDATOR_PRIVATE_KEY    the liquidator account's secret key: a deployed Schnorr account with fee juice
                            (or FEE_PAYMENT=sponsored on a network with Aztec's SponsoredFPC)
  AZTEC_LIQUIDATOR_SALT     that account's salt (default 0)
  PRICE_FEED_ADDRESS        the MockPriceFeed (default: nocom-v1's deployments.json)
  AZTEC_LIQUIDATE_REPAY     debt-token base units to repay; without it the liquidation is skipped. The position
                            must be liquidatable at the feed's prices and the liquidator must hold that much
                            private debt token.
  PXE_PROVER_ENABLED        false only on a network that accepts fake proofs (a sandbox); default true
  AZTEC_TX_TIMEOUT          seconds for proving + inclusion (default 900)

Shapes read here are nocom-v1's (docs/money-math.md, nocom-v1): escrow get_config is the whole ConfigNote (pool at
index 2), pool get_config has nine fields, get_prices is a BoundedVec (two slots, then the length).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from shared.pxe import Call, PxeClient, normalize_address, to_field
from tests.gateway.conftest import GATEWAY_DIR, gateway_installed, start_gateway

ENV = dict(os.environ)  # read at import: the suite's autouse fixture clears PXE_/PRICE_ variables per test
DEPLOYMENTS = json.loads((GATEWAY_DIR / "artifacts" / "nocom-v1.deployments.json").read_text())

pytestmark = pytest.mark.skipif(not ENV.get("AZTEC_NODE_URL"), reason="AZTEC_NODE_URL not set: the real-network tier is opt-in")


def setting(name: str, default: str | None = None) -> str:
    value = ENV.get(name, default)
    if not value:
        pytest.skip(f"{name} is not set (see this file's docstring)")
    return value


@dataclass
class Position:
    escrow: str
    pool: str
    collateral_token: str
    debt_token: str
    liquidation_threshold: int
    collateral_amount: int
    loan_principal: int
    loan_epoch: int


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if ENV.get("GATEWAY_URL"):
        yield ENV["GATEWAY_URL"]
        return
    if not gateway_installed():
        pytest.skip("gateway/node_modules is missing: run `npm ci --prefix gateway`")
    passed = {k: ENV[k] for k in ("ARTIFACTS_DIR", "PXE_PROVER_ENABLED", "FEE_PAYMENT", "SDK_LOG_LEVEL") if ENV.get(k)}
    running = start_gateway(ENV["AZTEC_NODE_URL"], tmp_path_factory.mktemp("aztec"), **passed)
    try:
        yield running.url
    finally:
        running.process.terminate()
        running.process.wait(timeout=30)


@pytest.fixture
async def client(gateway_url: str) -> AsyncIterator[PxeClient]:
    async with PxeClient(gateway_url, timeout=float(ENV.get("AZTEC_TX_TIMEOUT", "900"))) as pxe_client:
        yield pxe_client


async def read_position(client: PxeClient) -> Position:
    """What the note monitor reads for one escrow, in nocom-v1's shapes."""
    instance = json.loads(setting("AZTEC_ESCROW_INSTANCE"))
    escrow = normalize_address(instance["address"])
    await client.register_contract(instance, setting("AZTEC_ESCROW_SECRET_KEY"))
    owner_key, owner_salt = to_field(setting("AZTEC_ESCROW_OWNER_SECRET_KEY")), to_field(ENV.get("AZTEC_ESCROW_OWNER_SALT", "0x0"))
    await client.call("pxe_registerAccount", [owner_key, owner_salt])  # an account is a sender too: its tags are searched
    await client.simulate_utility("sync_private_state", [], escrow)
    config_note = await client.simulate_utility("get_config", [], escrow)
    assert len(config_note) == 6, config_note  # owner, holder_commitment, pool, collateral, loaned, randomness
    pool = to_field(config_note[2])
    pool_config = await client.simulate_utility("get_config", [], pool)
    assert len(pool_config) == 9, pool_config
    assert (pool_config[5], pool_config[6]) == (config_note[3], config_note[4])
    await client.simulate_utility("sync_private_state", [], pool)
    notes = await client.simulate_utility("get_collateral_and_debt", [escrow], pool)
    assert len(notes) == 7, notes
    assert to_field(notes[0]) == to_field(notes[3]) == escrow
    return Position(escrow, pool, to_field(pool_config[5]), to_field(pool_config[6]), pool_config[8], notes[2], notes[5], notes[6])


async def feed_prices(client: PxeClient, position: Position) -> tuple[int, int]:
    feed = setting("PRICE_FEED_ADDRESS", DEPLOYMENTS["priceOracle"]["address"])
    answer = await client.call("pxe_simulateView", ["get_prices", [position.collateral_token, position.debt_token, to_field(2)], feed])
    collateral_price, debt_price, length = (int(v, 16) for v in answer["result"])
    assert length == 2
    return collateral_price, debt_price


async def test_monitor_read(client: PxeClient) -> None:
    position = await read_position(client)
    assert position.collateral_amount > 0
    collateral_price, debt_price = await feed_prices(client, position)
    assert collateral_price > 0 and debt_price > 0
    symbol = await client.call("pxe_simulateView", ["symbol", [], position.debt_token])
    assert len(symbol["result"]) == 1  # FieldCompressedString: ASCII bytes in one field


async def test_engine_liquidation(client: PxeClient) -> None:
    repay = int(setting("AZTEC_LIQUIDATE_REPAY"))
    liquidator = (await client.call("pxe_registerAccount", [
        to_field(setting("LIQUIDATOR_PRIVATE_KEY")), to_field(ENV.get("AZTEC_LIQUIDATOR_SALT", "0x0")),
    ]))["address"]
    position = await read_position(client)
    collateral_price, debt_price = await feed_prices(client, position)
    nonce = to_field(secrets.randbits(248))
    transfer = Call("transfer_private_to_public", position.debt_token, [liquidator, position.pool, to_field(repay), nonce])
    authwit = await client.create_authwit(liquidator, position.pool, transfer)
    liquidate = Call("liquidate", position.escrow, [to_field(repay), nonce, to_field(collateral_price), to_field(debt_price)])
    tx_hash = await client.send_tx([liquidate], [authwit], liquidator)
    receipt = await client.wait_for_receipt(tx_hash, timeout=float(ENV.get("AZTEC_TX_TIMEOUT", "900")), poll_interval=5)
    assert receipt.status == "success", receipt
    after = await read_position(client)
    assert after.collateral_amount < position.collateral_amount
