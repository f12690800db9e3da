"""A token's symbol in either flavour of Aztec token (SPEC section 10, issue 20).

The reference protocol's token answers the utility `get_symbol()`. A public-view symbol comes in two
flavours: aztec-standards' Token (what nocom-v1 deploys) answers `symbol()`, Aztec's own Token
(`@aztec/noir-contracts.js`, what a local network deploys) answers `public_get_symbol()` and refuses
`symbol()` as an unknown function. The second is asked only when the first is not a function of the token.
"""

from __future__ import annotations

from typing import Any, Protocol

from shared.protocols import ReadShapes
from shared.pxe.errors import PxeError, PxeReverted
from shared.pxe.fields import field_to_symbol

AZTEC_TOKEN_SYMBOL = "public_get_symbol"


class SymbolReads(Protocol):
    """What of the PXE client a symbol read needs (shared.pxe.client.PxeClient)."""

    reads: ReadShapes

    async def simulate_view(self, function: str, args: list[int | str], to: str, *, from_: str | None = None) -> list[int]: ...
    async def simulate_utility(self, function: str, args: list[int | str], to: str, *, authwits: list[Any] | None = None,
                               from_: str | None = None) -> list[int]: ...


async def read_token_symbol(pxe: SymbolReads, token: str) -> str:
    function = pxe.reads.symbol_function
    if not pxe.reads.symbol_is_view:
        return _symbol(function, await pxe.simulate_utility(function, [], token))
    try:
        return _symbol(function, await pxe.simulate_view(function, [], token))
    except PxeReverted as first:
        if "unknown function" not in str(first).lower():
            raise
        try:
            return _symbol(AZTEC_TOKEN_SYMBOL, await pxe.simulate_view(AZTEC_TOKEN_SYMBOL, [], token))
        except PxeReverted as second:
            raise PxeReverted(f"{function}(): {first}; {AZTEC_TOKEN_SYMBOL}(): {second}") from None


def _symbol(function: str, values: list[int]) -> str:
    if not values:
        raise PxeError(f"PXE answered {function} without a value")
    return field_to_symbol(values[0])
