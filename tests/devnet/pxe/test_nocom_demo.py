"""The nocom-v1 mode's admin side: the demo world (dev_seedDemo), the dev_* listings and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from devnet.chain.local import free_port
from devnet.pxe.__main__ import parse_args
from devnet.pxe.background import RunningDevPxe, running_dev_pxe
from devnet.pxe.nocom_v1.admin import NocomAdmin
from devnet.pxe.nocom_v1.demo import DEMO_PRICES
from devnet.suite import stop_process
from shared.pxe import Call, PxeClient, PxeInvalidInput, PxeReverted, to_field
from tests.fixtures.paths import REPO

UNIT = 10**18
HEALTHY = 100_000


@pytest.fixture
async def nocom():  # type: ignore[no-untyped-def]
    async with running_dev_pxe(protocol="nocom-v1", block_time=0) as pxe:
        yield pxe


def liquidation_health(admin: NocomAdmin, escrow: dict, pool: str, prices: dict[str, int]) -> int:
    next_epoch = -(-int(time.time()) // 900)
    args = [escrow["address"], next_epoch, prices[escrow["collateralAsset"]], prices[escrow["debtAsset"]]]
    return admin.utility("get_health_factor", args, pool)[1]


async def liquidate(client: PxeClient, demo: dict, escrow: dict, liquidator: str, repay: int, prices: dict[str, int]) -> str:
    debt_token = demo["tokens"][escrow["debtAsset"]]
    transfer = Call("transfer_private_to_public", debt_token, [liquidator, escrow["pool"], to_field(repay), to_field(1)])
    authwit = await client.create_authwit(liquidator, escrow["pool"], transfer)
    asserted = [prices[escrow["collateralAsset"]], prices[escrow["debtAsset"]]]
    call = Call("liquidate", escrow["address"], [to_field(repay), to_field(1), *map(to_field, asserted)])
    return await client.send_tx([call], [authwit], liquidator)


async def test_the_demo_world_spreads_health_and_shows_the_swapped_check(nocom: RunningDevPxe) -> None:
    admin = nocom.admin
    assert isinstance(admin, NocomAdmin)
    demo = admin.seed_demo(escrows=8)
    tokens, feed = demo["tokens"], demo["feed"]
    assert demo["protocol"] == "nocom-v1" and set(tokens) == {"BTC", "ETH", "USDC"}
    assert admin.view("get_prices", [tokens["BTC"], tokens["ETH"], 2], feed["address"]) == [DEMO_PRICES["BTC"], DEMO_PRICES["ETH"], 2]
    assert [(p["collateralAsset"], p["debtAsset"]) for p in demo["pools"]] == [("ETH", "USDC"), ("BTC", "USDC"), ("USDC", "ETH")]
    async with PxeClient(nocom.url) as client:
        assert await client.register_account(feed["adminSecretKey"]) == feed["admin"]
        for escrow in demo["escrows"]:
            await client.register_contract(escrow["instance"], escrow["secretKey"])
        dropped = {**DEMO_PRICES, "ETH": DEMO_PRICES["ETH"] * 9 // 10, "BTC": DEMO_PRICES["BTC"] * 9 // 10}
        now = {e["address"]: liquidation_health(admin, e, e["pool"], DEMO_PRICES) for e in demo["escrows"]}
        after_drop = {e["address"]: liquidation_health(admin, e, e["pool"], dropped) for e in demo["escrows"]}
        lending = [e for e in demo["escrows"] if e["collateralAsset"] != "USDC"]
        cheap = [e for e in demo["escrows"] if e["collateralAsset"] == "USDC"]
        assert all(now[e["address"]] >= HEALTHY for e in lending)
        assert 3 <= sum(after_drop[e["address"]] < HEALTHY for e in lending) < len(lending)
        under_water = [e for e in cheap if now[e["address"]] < HEALTHY]
        assert len(under_water) == 1

        liquidator = await client.register_account(to_field(0xD3A0))
        admin.mint(tokens["ETH"], liquidator, 100 * UNIT)
        with pytest.raises(PxeReverted, match="^Collateral price lower than asserted$"):
            await liquidate(client, demo, under_water[0], liquidator, UNIT // 10, DEMO_PRICES)

        admin.set_feed_prices({"ETH": dropped["ETH"], "BTC": dropped["BTC"]})
        target = next(e for e in lending if after_drop[e["address"]] < HEALTHY)
        admin.mint(tokens["USDC"], liquidator, 1_000 * UNIT)
        tx_hash = await liquidate(client, demo, target, liquidator, 1_000 * UNIT, dropped)
        admin.mine_block()
        assert (await client.wait_for_receipt(tx_hash, timeout=5, poll_interval=0.02)).status == "success"


async def test_listings_positions_and_the_reference_price_table(nocom: RunningDevPxe) -> None:
    demo = nocom.admin.seed_demo(escrows=5, registered=True)
    listed = nocom.admin.call("dev_listEscrows")
    assert [e["address"] for e in listed] == [e["address"] for e in demo["escrows"]]
    assert all(e["registered"] and "secretKey" not in e for e in listed)
    assert listed[2]["collateralAsset"] == "USDC" and listed[2]["debtAsset"] == "ETH"
    position = nocom.admin.get_position(listed[0]["address"])
    assert set(position) == {"escrow", "pool", "collateralAmount", "loanPrincipal", "loanEpoch"}
    with pytest.raises(PxeInvalidInput, match="use dev_setFeedPrices"):
        nocom.admin.set_prices({"ETH": 1})
    with pytest.raises(PxeInvalidInput, match="must be between 1 and 100000"):
        nocom.admin.call("dev_createPool", [demo["tokens"]["ETH"], demo["tokens"]["USDC"], 75_000, 100_001, demo["feed"]["address"]])


def test_the_protocol_comes_from_the_flag_or_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROTOCOL", "nocom-v1")
    monkeypatch.setenv("RPC_URL", "http://127.0.0.1:8545")  # the services' chain: not this PXE's in nocom-v1
    monkeypatch.setenv("ORACLE_ADDRESS", "0x" + "ab" * 20)
    args = parse_args([])
    assert (args.protocol, args.rpc_url, args.oracle_address) == ("nocom-v1", "", "")
    assert parse_args(["--protocol", "reference"]).rpc_url == "http://127.0.0.1:8545"
    with pytest.raises(SystemExit):
        parse_args(["--protocol", "nocom-v1", "--rpc-url", "http://x", "--oracle-address", "0x01"])
    monkeypatch.setenv("PROTOCOL", "compound")
    with pytest.raises(SystemExit):
        parse_args([])


def test_cli_starts_in_nocom_mode_with_a_demo() -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "PROTOCOL": "nocom-v1"}
    process = subprocess.Popen([sys.executable, "-m", "devnet.pxe", "--port", str(port), "--demo", "--block-time", "0.1"],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        events = {}
        for line in process.stdout:
            event = json.loads(line)
            events[event["event"]] = event
            if event["event"] == "Dev PXE listening":
                break
        assert events["Dev PXE listening"]["protocol"] == "nocom-v1"
        assert events["Dev PXE demo seeded"]["feed"].startswith("0x")
        url = events["Dev PXE listening"]["url"]
        body = httpx.post(f"{url}/", json={"jsonrpc": "2.0", "id": 1, "method": "dev_listEscrows", "params": []}).json()
        assert len(body["result"]) == 8 and all(e["registered"] for e in body["result"])
    finally:
        stop_process(process, signal.SIGINT)
