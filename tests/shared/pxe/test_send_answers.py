"""A send's answer that is not a transaction hash is an error the caller can settle, never a crash."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.pxe import Call, PxeClient, PxeError, to_field
from tests.fixtures.servers import serving

TOO_BIG = "0x" + "ff" * 32  # a 256-bit hash: not a field element


async def _answer_too_big(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    items = body if isinstance(body, list) else [body]
    answers = [{"jsonrpc": "2.0", "id": item["id"], "result": TOO_BIG} for item in items]
    return JSONResponse(answers if isinstance(body, list) else answers[0])


async def test_a_malformed_hash_is_a_pxe_error_per_send() -> None:
    app = Starlette(routes=[Route("/", _answer_too_big, methods=["POST"])])
    call = Call("liquidate", "0x01", [to_field(1)])
    async with serving(app) as url, PxeClient(url, timeout=5) as client:
        results = await client.send_txs([([call], []), ([call], [])], "0x02")
        assert all(isinstance(r, PxeError) and "malformed transaction hash" in str(r) for r in results)
        with pytest.raises(PxeError, match="malformed transaction hash"):
            await client.send_tx([call], [], "0x02")
