"""Async EVM access over JSON-RPC (web3 8): a connection to one chain through one or more endpoints.

`Chain` reads; `TxSender` (services.price_service.evm.sender, re-exported here) signs and sends. Every failure
comes out as `TxReverted` or `TxFailed` (services.price_service.evm.errors, re-exported here).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import AsyncWeb3
from web3.exceptions import TransactionNotFound

from services.price_service.evm.errors import (
    ChainError,
    TxCancelled,
    TxFailed,
    TxReverted,
    describe,
    revert_reason,
    to_chain_error,
)
from services.price_service.evm.provider import HttpxProvider
from services.price_service.evm.sender import Resolution, TxResult, TxSender
from shared.evm.endpoints import EndpointPool, mask_url

__all__ = [
    "Chain", "ChainError", "EndpointPool", "Resolution", "TxCancelled", "TxFailed", "TxResult", "TxReverted", "TxSender",
    "mask_url", "revert_reason", "to_chain_error",
]


class Chain:
    """One chain behind one or more JSON-RPC endpoints (a comma-separated `RPC_URL` is failover order).

    `Chain.connect()` reads the chain id once (TxFailed if unreachable); `Chain(url)` connects
    lazily (for a service that must start while the node is down). Pass the same `EndpointPool`
    to an `OracleReader` so reads and sends fail over together.
    """

    def __init__(self, rpc_url: str | Sequence[str] | EndpointPool, request_timeout: float = 10, chain_id: int | None = None,
                 *, max_lag_blocks: int = 5, probe_interval: float = 15.0) -> None:
        self.request_timeout = float(request_timeout)
        # `chain_id` (CHAIN_ID) is the chain every endpoint must be on; None: the first that answers.
        self.endpoints = rpc_url if isinstance(rpc_url, EndpointPool) else EndpointPool(
            rpc_url, timeout=self.request_timeout, max_lag_blocks=max_lag_blocks, probe_interval=probe_interval,
            chain_id=chain_id)
        # A couple of quick retries for idempotent reads only (one endpoint); never for sends.
        self.w3: AsyncWeb3[Any] = AsyncWeb3(HttpxProvider(self.endpoints, retries=2, backoff=0.1))
        self._chain_id = chain_id

    @classmethod
    async def connect(cls, rpc_url: str | Sequence[str] | EndpointPool, request_timeout: float = 10, **options: Any) -> Chain:
        chain = cls(rpc_url, request_timeout, **options)
        try:
            await chain.ensure_chain_id()
        except BaseException:
            await chain.close()
            raise
        return chain

    def __repr__(self) -> str:
        return f"Chain({self.endpoints!r})"

    @property
    def rpc_url(self) -> str:
        """The endpoint in use (raw: may hold credentials; never print it, print `current_endpoint`)."""
        return self.endpoints.current_url

    @property
    def current_endpoint(self) -> str:
        """The endpoint in use, masked, for health and logs."""
        return self.endpoints.current_endpoint

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            raise RuntimeError("chain id not known yet: use `await Chain.connect(...)` or `await chain.ensure_chain_id()`")
        return self._chain_id

    async def ensure_chain_id(self) -> int:
        if self._chain_id is None:
            try:
                self._chain_id = int(await asyncio.wait_for(self.w3.eth.chain_id, self.request_timeout))
            except Exception as exc:  # noqa: BLE001
                raise TxFailed(f"cannot read chain id from {self.current_endpoint}: {describe(exc)}") from exc
        return self._chain_id

    async def is_connected(self) -> bool:
        """True when a node answers now. Never raises."""
        try:
            await asyncio.wait_for(self.w3.eth.block_number, self.request_timeout)
            if self._chain_id is None:
                await self.ensure_chain_id()
            return True
        except Exception:  # noqa: BLE001
            return False

    async def latest_block(self) -> Any:
        try:
            return await self.w3.eth.get_block("latest")
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc

    async def latest_timestamp(self) -> int:
        return int((await self.latest_block())["timestamp"])

    async def block_number(self) -> int:
        try:
            return int(await self.w3.eth.block_number)
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc

    async def balance(self, address: str) -> int:
        """The account's balance in wei (for the updater-balance metric and health check)."""
        try:
            return int(await self.w3.eth.get_balance(to_checksum_address(address)))
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc

    async def nonce(self, address: str, block: str = "pending") -> int:
        """The account's transaction count at `block` ('latest': mined; 'pending': with the pool's)."""
        try:
            return int(await self.w3.eth.get_transaction_count(to_checksum_address(address), block))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc

    async def call(self, to: str, data: bytes | str, block: int | str = "latest", sender: str | None = None) -> bytes:
        """eth_call; TxReverted / TxFailed on errors."""
        tx: dict[str, Any] = {"to": to_checksum_address(to), "data": HexBytes(data)}
        if sender:
            tx["from"] = to_checksum_address(sender)
        try:
            return bytes(await self.w3.eth.call(tx, block))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc

    async def receipt(self, tx_hash: str) -> Any | None:
        """The receipt of a transaction, or None while it is unknown or pending."""
        try:
            return await self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return None
        except Exception as exc:  # noqa: BLE001
            raise to_chain_error(exc) from exc

    async def close(self) -> None:
        try:
            await self.w3.provider.disconnect()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass

    async def __aenter__(self) -> Chain:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

