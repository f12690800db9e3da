"""JSON-RPC batches: one HTTP request for many authwits or sends, and a clean fallback to single
calls against a PXE that refuses batches (as Aztec's JSON-RPC server does)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from devnet.pxe.background import running_dev_pxe
from shared.pxe import Call, PxeClient, PxeReverted, to_field
from tests.fixtures.servers import serving
from tests.shared.pxe.liquidation_world import ETH_PRICE, LIQUIDATOR_KEY, UNIT, USDC_PRICE, interest_free_epoch


def transfer(usdc: str, liquidator: str, pool: str, repay: int, nonce: int) -> Call:
    return Call("transfer_private_to_public", usdc, [to_field(liquidator), to_field(pool), to_field(repay), to_field(nonce)])


def liquidate(escrow: str, repay: int, nonce: int) -> Call:
    return Call("liquidate", escrow, [to_field(repay), to_field(nonce), to_field(ETH_PRICE), to_field(USDC_PRICE)])


async def test_many_liquidations_in_two_batches_with_per_call_errors() -> None:
    with running_dev_pxe(block_time=0) as pxe:
        admin = pxe.admin
        admin.set_prices({"ETH": ETH_PRICE, "USDC": USDC_PRICE})
        eth, usdc = admin.create_token("ETH"), admin.create_token("USDC")
        pool = admin.create_pool(eth, usdc, 7_500, 8_000)
        epoch = interest_free_epoch()
        unhealthy = [admin.create_escrow(pool, 10 * UNIT, 17_000 * UNIT, registered=True, loan_epoch=epoch)["address"]
                     for _ in range(3)]
        healthy = admin.create_escrow(pool, 10 * UNIT, 1_000 * UNIT, registered=True, loan_epoch=epoch)["address"]
        async with PxeClient(pxe.url, timeout=5) as client:
            liquidator = await client.register_account(LIQUIDATOR_KEY)
            admin.mint(usdc, liquidator, 100_000 * UNIT)
            escrows = [*unhealthy, healthy]
            calls_before = pxe.calls["pxe_sendTx"]
            authwits = await client.create_authwits(liquidator, [(pool, transfer(usdc, liquidator, pool, 1_000 * UNIT, n))
                                                                 for n, _ in enumerate(escrows)])
            assert all(isinstance(a, dict) for a in authwits)
            results = await client.send_txs([([liquidate(e, 1_000 * UNIT, n)], [a])
                                             for n, (e, a) in enumerate(zip(escrows, authwits, strict=True))], liquidator)
            assert pxe.calls["pxe_sendTx"] - calls_before == 4
            assert all(isinstance(r, str) and r.startswith("0x") for r in results[:3])
            assert isinstance(results[3], PxeReverted) and results[3].reason == "Position healthy, cannot liquidate"
            admin.mine_block()
            receipts = [await client.get_tx_receipt(r) for r in results[:3]]  # type: ignore[arg-type]
            assert {r.status for r in receipts} == {"success"}


async def _refuse_arrays(request: Request) -> JSONResponse:
    """Answers single calls only; an array is refused whole, as Aztec's SafeJsonRpcServer does."""
    body = json.loads(await request.body())
    request.app.state.seen.append(body)
    if not isinstance(body, dict):
        return JSONResponse({"jsonrpc": "2.0", "id": None, "error": {"code": -32601, "message": "Method not found: undefined"}},
                            status_code=400)
    if body["method"] == "pxe_sendTx" and body["params"][0]["calls"][0]["to"].endswith("bad"):
        return JSONResponse({"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32702, "message": "Price mismatch"}},
                            status_code=400)
    return JSONResponse({"jsonrpc": "2.0", "id": body["id"], "result": "0x" + f"{len(request.app.state.seen):064x}"})


@pytest.fixture
async def no_batch_pxe() -> AsyncIterator[tuple[str, list[object]]]:
    app = Starlette(routes=[Route("/", _refuse_arrays, methods=["POST"])])
    app.state.seen = []
    async with serving(app) as url:
        yield url, app.state.seen


async def test_a_pxe_that_refuses_batches_gets_single_calls(no_batch_pxe: tuple[str, list[object]]) -> None:
    url, seen = no_batch_pxe
    liquidator = "0x" + "11" * 32
    async with PxeClient(url, timeout=5) as client:
        txs = [([Call("liquidate", "0x" + "ab" * 31 + suffix, [])], [{}]) for suffix in ("01", "02", "ad")]
        first = await client.send_txs(txs, liquidator)
        assert isinstance(seen[0], list) and len(seen) == 4  # the refused batch, then three single sends
        second = await client.send_txs(txs, liquidator)
        assert len(seen) == 7 and all(isinstance(b, dict) for b in seen[1:])  # no batch tried again
    for results in (first, second):
        assert isinstance(results[0], str) and isinstance(results[1], str)
        assert isinstance(results[2], PxeReverted) and results[2].reason == "Price mismatch"
