"""Reading many escrows' notes: two JSON-RPC batches in all, one failing escrow isolated from the rest,
and single calls against a PXE that refuses arrays (as Aztec's JSON-RPC server does)."""

from __future__ import annotations

import json

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devnet.pxe.background import running_dev_pxe
from shared.pxe import PxeClient, PxeError
from shared.pxe.client import Notes
from tests.fixtures.servers import serving
from tests.shared.pxe.liquidation_world import UNIT, interest_free_epoch


def world(pxe) -> tuple[str, list[str], str]:  # type: ignore[no-untyped-def]
    admin = pxe.admin
    eth, usdc = admin.create_token("ETH"), admin.create_token("USDC")
    pool = admin.create_pool(eth, usdc, 7_500, 8_000)
    readable = [admin.create_escrow(pool, (i + 1) * UNIT, 1_000 * UNIT, registered=True,
                                    loan_epoch=interest_free_epoch())["address"] for i in range(5)]
    hidden = admin.create_escrow(pool, UNIT, UNIT, registered=False)["address"]  # its notes are unknown to the PXE
    return pool, readable, hidden


def proxy_refusing_arrays(target: str) -> Starlette:
    async def forward(request: Request) -> Response:
        body = json.loads(await request.body())
        request.app.state.requests += 1
        if isinstance(body, list):
            return JSONResponse({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid request"}},
                                status_code=400)
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"{target}/", json=body)
        return Response(answer.content, status_code=answer.status_code, media_type="application/json")

    app = Starlette(routes=[Route("/", forward, methods=["POST"])])
    app.state.requests = 0
    return app


async def test_many_escrows_in_two_batches_one_failure_isolated() -> None:
    async with running_dev_pxe(block_time=0) as pxe:
        pool, readable, hidden = world(pxe)
        async with PxeClient(pxe.url, timeout=5) as client:
            before = pxe.calls["pxe_simulateUtility"]
            results = await client.notes_many([(e, pool) for e in [*readable[:2], hidden, *readable[2:]]])
            assert isinstance(results[2], PxeError) and "unknown" in str(results[2]).lower()
            ok = [r for r in results if isinstance(r, Notes)]
            assert [n.collateral_amount for n in ok] == [(i + 1) * UNIT for i in range(5)]
            assert pxe.calls["pxe_simulateUtility"] - before == 12  # 6 syncs + 6 reads, in two HTTP requests


async def test_a_pxe_that_refuses_arrays_gets_single_calls_with_the_same_answers() -> None:
    async with running_dev_pxe(block_time=0) as pxe:
        pool, readable, hidden = world(pxe)
        app = proxy_refusing_arrays(pxe.url)
        async with serving(app) as url, PxeClient(url, timeout=5) as client:
            results = await client.notes_many([(e, pool) for e in [hidden, *readable]])
            assert isinstance(results[0], PxeError)
            assert [r.collateral_amount for r in results[1:]] == [(i + 1) * UNIT for i in range(5)]  # type: ignore[union-attr]
            assert app.state.requests == 1 + 6 + 6  # the refused batch, then the syncs and reads one by one
