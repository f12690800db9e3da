"""shared.pxe against the development PXE over real HTTP on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest

from devnet.pxe.background import RunningDevPxe, running_dev_pxe
from shared import money
from shared.pxe import (
    Call,
    PxeClient,
    PxeInvalidInput,
    PxeMethodNotFound,
    PxeReverted,
    PxeUnreachable,
    field_to_symbol,
    from_field,
    normalize_address,
    symbol_to_field,
    to_field,
)

UNIT = 10**18
ETH_PRICE = 2_000 * 10**8
USDC_PRICE = 1 * 10**8
LIQUIDATOR_KEY = to_field(0xC0FFEE)


@dataclass
class World:
    eth: str
    usdc: str
    pool: str
    liquidator: str


@pytest.fixture
def pxe() -> Iterator[RunningDevPxe]:
    # No blocks by themselves: each test mines when it wants the pending txs applied.
    with running_dev_pxe(block_time=0) as running:
        yield running


@pytest.fixture
async def client(pxe: RunningDevPxe) -> AsyncIterator[PxeClient]:
    async with PxeClient(pxe.url, timeout=2.0, backoff=0.01) as pxe_client:
        yield pxe_client


@pytest.fixture
async def world(pxe: RunningDevPxe, client: PxeClient) -> World:
    admin = pxe.admin
    eth, usdc = admin.create_token("ETH"), admin.create_token("USDC")
    pool = admin.create_pool(eth, usdc, 7_500, 8_000)
    admin.set_prices({"ETH": ETH_PRICE, "USDC": USDC_PRICE})
    liquidator = await client.register_account(LIQUIDATOR_KEY)
    return World(eth, usdc, pool, liquidator)


def interest_free_epoch() -> int:
    """A loan epoch after the next one: no interest accrues, so amounts are exact whatever the clock."""
    return money.next_epoch(int(time.time())) + 10


def open_position(pxe: RunningDevPxe, world: World, collateral: int, principal: int, **options: object) -> str:
    options.setdefault("loan_epoch", interest_free_epoch())
    return pxe.admin.create_escrow(world.pool, collateral, principal, registered=True, **options)["address"]


async def liquidation_tx(
    client: PxeClient, world: World, escrow: str, repay: int, *, nonce: int = 1,
    prices: tuple[int, int] = (ETH_PRICE, USDC_PRICE), authwit_amount: int | None = None, with_authwit: bool = True,
) -> str:
    """What the engine sends: an authwit for the pool to pull `repay` debt tokens, then escrow.liquidate."""
    authwits = []
    if with_authwit:
        transfer = Call(
            "transfer_private_to_public", world.usdc,
            [to_field(world.liquidator), to_field(world.pool), to_field(authwit_amount or repay), to_field(nonce)],
        )
        authwits.append(await client.create_authwit(world.liquidator, world.pool, transfer))
    liquidate = Call("liquidate", escrow, [to_field(repay), to_field(nonce), to_field(prices[0]), to_field(prices[1])])
    return await client.send_tx([liquidate], authwits, world.liquidator)


# --- fields ---------------------------------------------------------------------------------------


def test_field_encoding() -> None:
    assert to_field(0) == "0x" + "0" * 64
    assert to_field(255) == "0x" + "0" * 62 + "ff"
    assert to_field("0xABC") == "0x" + "0" * 61 + "abc"
    assert to_field("1000") == to_field(1000)
    assert from_field(to_field(2**253 + 5)) == 2**253 + 5
    for bad in (-1, 2**254, "0x", "0xzz", "12a", 1.5, True):
        with pytest.raises(ValueError):
            to_field(bad)  # type: ignore[arg-type]


def test_address_normalisation() -> None:
    assert normalize_address("0xAbC") == "0x" + "0" * 61 + "abc"
    assert normalize_address("0x" + "F" * 64) == "0x" + "f" * 64
    for bad in ("abc", "0x", "0x" + "1" * 65, "0xg1", ""):
        with pytest.raises(ValueError, match="0x followed by 1 to 64 hex digits"):
            normalize_address(bad)


def test_symbols_are_ascii_big_endian_in_a_field() -> None:
    assert symbol_to_field("BTC") == to_field(0x425443)
    assert field_to_symbol(symbol_to_field("USDC")) == "USDC"
    assert field_to_symbol(0x455448) == "ETH"
    with pytest.raises(ValueError):
        symbol_to_field("X" * 32)


# --- discovery and reads --------------------------------------------------------------------------


async def test_status_ready_and_block_number(client: PxeClient, pxe: RunningDevPxe) -> None:
    assert await client.status() is True
    assert await client.is_ready() is True
    before = await client.block_number()
    pxe.admin.mine_block()
    assert await client.block_number() == before + 1


async def test_register_account_is_deterministic(client: PxeClient) -> None:
    first = await client.register_account(LIQUIDATOR_KEY)
    assert first == await client.register_account(LIQUIDATOR_KEY)
    assert first != await client.register_account(to_field(0xBEEF))
    assert first == normalize_address(first)


async def test_discovers_pool_tokens_and_notes(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    escrow = pxe.admin.create_escrow(world.pool, 3 * UNIT, 2_000 * UNIT, loan_epoch=1234)
    await client.sync_private_state(escrow["address"])
    assert await client.escrow_pool(escrow["address"]) == world.pool
    config = await client.pool_config(world.pool)
    assert (config.collateral_token, config.debt_token) == (world.eth, world.usdc)
    assert (config.max_ltv_bps, config.liquidation_threshold_bps) == (7_500, 8_000)
    assert await client.token_symbol(config.collateral_token) == "ETH"
    assert await client.token_symbol(config.debt_token) == "USDC"

    # Notes stay private until the escrow is registered with its secret key.
    with pytest.raises(PxeReverted, match="Escrow notes unknown: register the escrow with its secret key"):
        await client.collateral_and_debt(world.pool, escrow["address"])
    with pytest.raises(PxeInvalidInput):
        await client.register_contract(escrow["instance"], to_field(12345))
    await client.register_contract(escrow["instance"], escrow["secretKey"])
    notes = await client.collateral_and_debt(world.pool, escrow["address"])
    assert (notes.collateral_amount, notes.debt_principal, notes.debt_epoch) == (3 * UNIT, 2_000 * UNIT, 1234)
    assert notes.collateral_owner == notes.debt_owner == escrow["address"]


async def test_private_balance(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    assert await client.private_balance(world.usdc, world.liquidator) == 0
    pxe.admin.mint(world.usdc, world.liquidator, 5 * UNIT)
    assert await client.private_balance(world.usdc, world.liquidator) == 5 * UNIT


# --- a liquidation ------------------------------------------------------------------------------------


async def test_full_liquidation(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    # 10 ETH at $2 000 with an 80 % threshold carries 16 000 USDC; 17 000 is owed.
    escrow = open_position(pxe, world, 10 * UNIT, 17_000 * UNIT)
    pxe.admin.mint(world.usdc, world.liquidator, 20_000 * UNIT)
    notes = await client.collateral_and_debt(world.pool, escrow)
    debt = money.total_debt(notes.debt_principal, notes.debt_epoch, int(time.time()))
    assert money.is_liquidatable(notes.collateral_amount, ETH_PRICE, 8_000, debt, USDC_PRICE)
    repay = money.max_repay(notes.collateral_amount, ETH_PRICE, debt, USDC_PRICE)
    expected = money.seizure(repay, ETH_PRICE, USDC_PRICE)

    tx_hash = await liquidation_tx(client, world, escrow, repay)
    assert (await client.get_tx_receipt(tx_hash)).status == "pending"
    pxe.admin.mine_block()
    receipt = await client.wait_for_receipt(tx_hash, timeout=5, poll_interval=0.02)

    assert receipt.status == "success" and receipt.error is None
    assert receipt.block_number == await client.block_number()
    assert await client.private_balance(world.usdc, world.liquidator) == 20_000 * UNIT - repay
    assert await client.private_balance(world.eth, world.liquidator) == expected.liquidator_receives
    after = await client.collateral_and_debt(world.pool, escrow)
    assert after.collateral_amount == 10 * UNIT - expected.seized
    assert after.debt_principal == debt - repay
    assert after.debt_epoch in {money.next_epoch(int(time.time())), money.next_epoch(int(time.time())) - 1}
    assert after.collateral_randomness != notes.collateral_randomness  # new notes replace the spent ones



async def test_an_authwit_is_consumed_once(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    first, second = (open_position(pxe, world, 10 * UNIT, 17_000 * UNIT) for _ in range(2))
    pxe.admin.mint(world.usdc, world.liquidator, 1_000 * UNIT)
    transfer = Call("transfer_private_to_public", world.usdc,
                    [to_field(world.liquidator), to_field(world.pool), to_field(100 * UNIT), to_field(9)])
    authwit = await client.create_authwit(world.liquidator, world.pool, transfer)

    def liquidate(escrow: str) -> Call:
        return Call("liquidate", escrow, [to_field(100 * UNIT), to_field(9), to_field(ETH_PRICE), to_field(USDC_PRICE)])

    tx_hash = await client.send_tx([liquidate(first)], [authwit], world.liquidator)
    pxe.admin.mine_block()
    assert (await client.wait_for_receipt(tx_hash, timeout=5, poll_interval=0.02)).status == "success"
    # The same pool, amount and nonce on another escrow: the authwit's nullifier is spent.
    with pytest.raises(PxeReverted, match="Authwit not found"):
        await client.send_tx([liquidate(second)], [authwit], world.liquidator)


async def test_revert_reasons(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    underwater = open_position(pxe, world, 10 * UNIT, 17_000 * UNIT)
    healthy = open_position(pxe, world, 10 * UNIT, 10_000 * UNIT)
    # 1 ETH ($2 000) against 5 000 USDC: half the debt would seize 1.375 ETH.
    thin = open_position(pxe, world, 1 * UNIT, 5_000 * UNIT)
    pxe.admin.mint(world.usdc, world.liquidator, 100 * UNIT)
    cases = [
        ("Price mismatch", dict(escrow=underwater, repay=100 * UNIT, prices=(ETH_PRICE + 1, USDC_PRICE))),
        ("Position healthy, cannot liquidate", dict(escrow=healthy, repay=100 * UNIT)),
        ("Cannot repay more than 50% of total borrowed", dict(escrow=underwater, repay=8_500 * UNIT + 1)),
        ("Insufficient collateral", dict(escrow=thin, repay=2_500 * UNIT)),
        ("Authwit not found", dict(escrow=underwater, repay=100 * UNIT, with_authwit=False)),
        ("Authwit not found", dict(escrow=underwater, repay=100 * UNIT, authwit_amount=99 * UNIT)),
        ("Insufficient balance", dict(escrow=underwater, repay=101 * UNIT)),
    ]
    for nonce, (reason, case) in enumerate(cases, start=1):
        with pytest.raises(PxeReverted) as reverted:
            await liquidation_tx(client, world, nonce=nonce, **case)  # type: ignore[arg-type]
        assert reverted.value.reason == reason
    assert pxe.state.pending == []  # a failed simulation never becomes a transaction


async def test_unknown_function_and_unregistered_escrow_revert(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    with pytest.raises(PxeReverted, match="Unknown function get_everything"):
        await client.simulate_utility("get_everything", [], world.pool)
    hidden = pxe.admin.create_escrow(world.pool, 10 * UNIT, 17_000 * UNIT, loan_epoch=interest_free_epoch())
    pxe.admin.mint(world.usdc, world.liquidator, 100 * UNIT)
    with pytest.raises(PxeReverted, match="Escrow notes unknown"):
        await liquidation_tx(client, world, hidden["address"], 100 * UNIT)


async def test_a_tx_that_fails_at_its_block_is_reverted(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    escrow = open_position(pxe, world, 10 * UNIT, 17_000 * UNIT)
    pxe.admin.mint(world.usdc, world.liquidator, 1_000 * UNIT)
    tx_hash = await liquidation_tx(client, world, escrow, 500 * UNIT)
    pxe.admin.set_prices({"ETH": ETH_PRICE - 10**8})  # the oracle moves before the block
    pxe.admin.mine_block()
    receipt = await client.wait_for_receipt(tx_hash, timeout=5, poll_interval=0.02)
    assert (receipt.status, receipt.error) == ("reverted", "Price mismatch")
    assert pxe.admin.get_position(escrow)["loanPrincipal"] == str(17_000 * UNIT)


async def test_unknown_tx_is_dropped(client: PxeClient) -> None:
    assert (await client.get_tx_receipt(to_field(42))).status == "dropped"


async def test_wait_for_receipt_times_out_while_pending(pxe: RunningDevPxe, client: PxeClient, world: World) -> None:
    escrow = open_position(pxe, world, 10 * UNIT, 17_000 * UNIT)
    pxe.admin.mint(world.usdc, world.liquidator, 1_000 * UNIT)
    tx_hash = await liquidation_tx(client, world, escrow, 500 * UNIT)
    with pytest.raises(TimeoutError):
        await client.wait_for_receipt(tx_hash, timeout=0.1, poll_interval=0.02)


# --- errors and failures ----------------------------------------------------------------------------


async def test_invalid_input_and_unknown_method(client: PxeClient, world: World) -> None:
    with pytest.raises(PxeInvalidInput):
        await client.call("pxe_simulateUtility", ["get_config", "not-a-list", world.pool])
    with pytest.raises(PxeInvalidInput):
        await client.call("pxe_sendTx", [{"calls": []}, {"from": world.liquidator}])
    with pytest.raises(PxeInvalidInput, match="Unknown account"):
        await client.send_tx([Call("liquidate", world.pool, [])], [], to_field(999))
    with pytest.raises(PxeMethodNotFound):
        await client.call("pxe_doesNotExist", [])


async def test_stopped_pxe_is_unreachable_after_bounded_retries(pxe: RunningDevPxe, world: World) -> None:
    attempts = 0

    async def count(_request: httpx.Request) -> None:
        nonlocal attempts
        attempts += 1

    async with httpx.AsyncClient(timeout=1.0, event_hooks={"request": [count]}) as http:
        client = PxeClient(pxe.url, client=http, read_attempts=3, backoff=0.01)
        assert await client.escrow_pool(open_position(pxe, world, UNIT, UNIT)) == world.pool
        pxe.stop()
        attempts = 0
        with pytest.raises(PxeUnreachable):
            await client.block_number()
        assert attempts == 3
        assert await client.status() is False
        assert await client.is_ready() is False

        pxe.start()  # back on the same port, state intact
        assert await client.status() is True
        assert (await client.pool_config(world.pool)).liquidation_threshold_bps == 8_000


async def test_reads_retry_but_send_tx_is_sent_once(pxe: RunningDevPxe, world: World) -> None:
    escrow = open_position(pxe, world, 10 * UNIT, 17_000 * UNIT)
    pxe.admin.mint(world.usdc, world.liquidator, 1_000 * UNIT)
    async with PxeClient(pxe.url, timeout=0.1, read_attempts=3, backoff=0.01) as client:
        transfer = Call("transfer_private_to_public", world.usdc,
                        [to_field(world.liquidator), to_field(world.pool), to_field(500 * UNIT), to_field(1)])
        authwit = await client.create_authwit(world.liquidator, world.pool, transfer)
        pxe.admin.set_latency(300)  # every answer now arrives after the client's timeout
        reads_before = pxe.calls["node_getBlockNumber"]
        with pytest.raises(PxeUnreachable):
            await client.block_number()
        assert pxe.calls["node_getBlockNumber"] - reads_before == 3

        with pytest.raises(PxeUnreachable):
            await client.send_tx(
                [Call("liquidate", escrow, [to_field(500 * UNIT), to_field(1), to_field(ETH_PRICE), to_field(USDC_PRICE)])],
                [authwit], world.liquidator,
            )
        assert pxe.calls["pxe_sendTx"] == 1
        pxe.admin.set_latency(0)
