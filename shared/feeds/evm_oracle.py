"""The one PriceOracle reader (the reference protocol's EVM feed): getPrice for every wanted asset
in ONE batched JSON-RPC `eth_call`.

Used by the price service (read-back), the liquidation engine (the prices a liquidation asserts)
and the development PXE (the prices it checks them against). The transport is the EVM layer's
`EndpointPool` (pooled httpx, failover over a comma-separated `RPC_URL`) rather than web3's async
provider, whose process-wide session lock can stay held forever when a call is cancelled mid-way
(a timeout, a shutdown): a read must never hang on that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector

from shared.evm.endpoints import EndpointPool, NodeUnreachable
from shared.feeds.onchain_price import OnChainPrice, PricesUnavailable

GET_PRICE_SELECTOR = function_signature_to_4byte_selector("getPrice(bytes32)")
_SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9._\-]{0,31}$")


def asset_key(symbol: str) -> bytes:
    """'BTC' → b'BTC' + 29 zero bytes.

    Symbols are 1–32 ASCII letters and digits (also `.`, `_`, `-` after the first character);
    lower case is upper-cased, as the HTTP API does. Anything else is a ValueError.
    """
    if not isinstance(symbol, str):
        raise TypeError(f"asset symbol must be a str, not {type(symbol).__name__}")
    if not symbol.isascii() or not _SYMBOL_RE.fullmatch(symbol.upper()):
        raise ValueError(f"invalid asset symbol {symbol!r}: 1-32 ASCII letters and digits")
    return symbol.upper().encode("ascii").ljust(32, b"\x00")


def symbol_from_key(key: bytes | str) -> str:
    raw = bytes.fromhex(key[2:] if key.startswith("0x") else key) if isinstance(key, str) else bytes(key)
    return raw.rstrip(b"\x00").decode("ascii", errors="replace")


class OracleReader:
    """Reads through an `EndpointPool`: give it `RPC_URL` (a comma list fails over) or a `Chain`'s pool."""

    def __init__(self, rpc: str | Sequence[str] | EndpointPool, address: str, timeout: float = 5.0,
                 chain_id: int | None = None) -> None:
        # chain_id (CHAIN_ID): every endpoint must be on it; None: the first reachable endpoint's.
        self.endpoints = rpc if isinstance(rpc, EndpointPool) else EndpointPool(rpc, timeout=timeout, chain_id=chain_id)
        self._owns = not isinstance(rpc, EndpointPool)
        self.address = address.lower()
        self.timeout = timeout

    @property
    def current_endpoint(self) -> str:
        return self.endpoints.current_endpoint

    async def read(self, symbols: list[str]) -> dict[str, OnChainPrice]:
        if not self.address:
            raise PricesUnavailable("no ORACLE_ADDRESS configured")
        if not symbols:
            return {}
        batch = [
            {"jsonrpc": "2.0", "id": i, "method": "eth_call",
             "params": [{"to": self.address, "data": "0x" + (GET_PRICE_SELECTOR + asset_key(s)).hex()}, "latest"]}
            for i, s in enumerate(symbols)
        ]
        try:
            answers = json.loads(await self.endpoints.post(json.dumps(batch).encode(), retryable=False))
        except NodeUnreachable as exc:
            raise PricesUnavailable(f"chain unreachable: {exc}") from None
        except ValueError:
            raise PricesUnavailable("chain answered eth_call with something that is not JSON") from None
        if not isinstance(answers, list):
            error = answers.get("error") if isinstance(answers, dict) else None
            raise PricesUnavailable(f"chain answered the eth_call batch with {error or 'a single response'}")
        by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
        return {symbol: _decoded(symbol, by_id.get(i) or {}) for i, symbol in enumerate(symbols)}

    async def close(self) -> None:
        if self._owns:  # a shared pool belongs to its Chain
            await self.endpoints.close()


def _decoded(symbol: str, answer: dict[str, object]) -> OnChainPrice:
    raw = answer.get("result")
    if not isinstance(raw, str) or len(raw) < 2 + 128:
        raise PricesUnavailable(f"oracle getPrice({symbol}) failed: {answer.get('error') or 'empty result'}")
    try:
        price, updated_at = abi_decode(["uint256", "uint64"], bytes.fromhex(raw[2:]))
    except Exception:  # noqa: BLE001 - any malformed answer is the same failure
        raise PricesUnavailable(f"oracle getPrice({symbol}) answered something that is not (uint256, uint64)") from None
    return OnChainPrice(int(price), int(updated_at))
