"""A token's symbol in both flavours (issue 20): aztec-standards' Token answers `symbol()` (what nocom
deploys, the development PXE's token), Aztec's own Token answers `public_get_symbol()` and refuses
`symbol()` as an unknown function (what the real local network deploys: here a proxy in front of the
development PXE answers as the gateway then does). One client method reads both, for the note monitor
and the price service alike."""

from __future__ import annotations

from typing import Any

import pytest

from devnet.pxe.background import running_dev_pxe
from shared.protocols import nocom_v1
from shared.pxe.client import PxeClient
from shared.pxe.errors import PxeReverted
from tests.shared.jsonrpc_proxy import proxy, rpc_error

SYMBOL_REFUSED = "Unknown function symbol in contract Token"  # the gateway's words on the real network


def aztec_token(request: dict[str, Any]) -> dict[str, Any] | None:
    """Aztec's own Token: `symbol` is no function of it; `public_get_symbol` answers what `symbol` does."""
    if request.get("method") == "pxe_simulateView":
        if request["params"][0] == "symbol":
            return rpc_error(request, -32702, SYMBOL_REFUSED)
        if request["params"][0] == "public_get_symbol":
            request["params"][0] = "symbol"
    return None


async def test_aztec_standards_token_answers_symbol() -> None:
    async with running_dev_pxe(protocol="nocom-v1", block_time=0) as pxe:
        token = pxe.admin.create_token("ZEC")
        async with proxy(pxe.url) as (url, seen), PxeClient(url, reads=nocom_v1.READS) as client:
            assert await client.token_symbol(token) == "ZEC"
            assert seen.calls["pxe_simulateView"] == 1


async def test_aztecs_own_token_answers_public_get_symbol() -> None:
    async with running_dev_pxe(protocol="nocom-v1", block_time=0) as pxe:
        token = pxe.admin.create_token("ZEC")
        async with proxy(pxe.url, hook=aztec_token) as (url, seen), PxeClient(url, reads=nocom_v1.READS) as client:
            assert await client.token_symbol(token) == "ZEC"
            assert seen.calls["pxe_simulateView"] == 2  # symbol() refused, then public_get_symbol()


async def test_a_contract_with_neither_says_both_were_asked() -> None:
    async with running_dev_pxe(protocol="nocom-v1", block_time=0) as pxe:
        feed = pxe.admin.create_feed()["address"]
        async with PxeClient(pxe.url, reads=nocom_v1.READS) as client:
            with pytest.raises(PxeReverted, match=r"symbol\(\): .*Unknown function.*public_get_symbol\(\): "):
                await client.token_symbol(feed)


async def test_another_failure_of_symbol_is_not_taken_for_the_other_flavour() -> None:
    def failing(request: dict[str, Any]) -> dict[str, Any] | None:
        if request.get("method") == "pxe_simulateView":
            return rpc_error(request, -32702, "Circuit execution failed: min_revertible_side_effect_counter must not be 0")
        return None

    async with running_dev_pxe(protocol="nocom-v1", block_time=0) as pxe:
        token = pxe.admin.create_token("ZEC")
        async with proxy(pxe.url, hook=failing) as (url, seen), PxeClient(url, reads=nocom_v1.READS) as client:
            with pytest.raises(PxeReverted, match="min_revertible_side_effect_counter"):
                await client.token_symbol(token)
            assert seen.calls["pxe_simulateView"] == 1
