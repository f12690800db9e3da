"""The EVM layer's errors and their normalisation from any node's shape (anvil, geth, py-evm).

Every failure comes out as one of two errors: `TxReverted` (the EVM rejected the call: at
estimate time, at send time, or mined with status 0) or `TxFailed` (everything else: node
unreachable, timeout, nonce or balance problems). `TxCancelled` is a `TxFailed` whose
transaction was given up on and replaced by a cancel at its nonce, so it can never land.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from eth_abi import decode as abi_decode
from web3.exceptions import ContractLogicError, Web3RPCError

from shared.evm.endpoints import NodeUnreachable

__all__ = [
    "ChainError", "TxCancelled", "TxFailed", "TxReverted",
    "decode_revert_data", "describe", "node_message", "revert_reason", "to_chain_error",
]

ERROR_SELECTOR = "08c379a0"  # Error(string)
PANIC_SELECTOR = "4e487b71"  # Panic(uint256)


class ChainError(Exception):
    """Base of the errors the EVM layer raises."""


class TxReverted(ChainError):
    """The EVM reverted the call or transaction. `tx_hash` is set when a transaction was mined."""

    def __init__(self, reason: str, tx_hash: str | None = None) -> None:
        self.reason = reason or "execution reverted"
        self.tx_hash = tx_hash
        super().__init__(self.reason if tx_hash is None else f"{self.reason} (tx {tx_hash})")


class TxFailed(ChainError):
    """Anything but a revert: unreachable node, timeout, rejected by the node (nonce, funds, ...).

    `tx_hash` is set when the transaction had been accepted by the node, so the caller can
    resolve it from its receipt later instead of sending again blindly.
    """

    def __init__(self, error: str, tx_hash: str | None = None) -> None:
        self.error = error
        self.tx_hash = tx_hash
        super().__init__(error if tx_hash is None else f"{error} (tx {tx_hash})")


class TxCancelled(TxFailed):
    """The transaction was given up on and a cancel (0-value self-transfer) was mined at its nonce.

    Nothing of the original landed, and nothing of it can land later.
    """

    def __init__(self, error: str, tx_hash: str | None, nonce: int, cancel_hash: str, block_number: int) -> None:
        self.nonce = nonce
        self.cancel_hash = cancel_hash
        self.block_number = block_number
        super().__init__(f"{error}; cancelled at nonce {nonce} by {cancel_hash} in block {block_number}", tx_hash)


# ---------------------------------------------------------------- revert data


def _hex_data(data: Any) -> str | None:
    if isinstance(data, (bytes, bytearray)):
        return bytes(data).hex()
    if isinstance(data, str):
        text = data.strip()
        if text.startswith("Reverted "):
            text = text[len("Reverted ") :]
        if text.startswith(("0x", "0X")):
            body = text[2:]
            try:
                bytes.fromhex(body)
            except ValueError:
                return None
            return body.lower()
    if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."} / {"message":..., "data":...}
        return _hex_data(data.get("data"))
    return None


def decode_revert_data(data: Any) -> str | None:
    """A reason string from revert data: Error(string), Panic(uint256) or a custom error selector."""
    body = _hex_data(data)
    if body is None or body == "":
        return None
    raw = bytes.fromhex(body)
    if body.startswith(ERROR_SELECTOR):
        try:
            return str(abi_decode(["string"], raw[4:])[0])
        except Exception:  # noqa: BLE001 - malformed payload
            return None
    if body.startswith(PANIC_SELECTOR) and len(raw) >= 36:
        return f"Panic(0x{int.from_bytes(raw[4:36], 'big'):02x})"
    if len(raw) >= 4:
        return f"custom error 0x{body[:8]}"
    return None


def _strip_prefix(message: str) -> str:
    text = message.strip()
    for prefix in ("execution reverted:", "execution reverted", "VM Exception while processing transaction: revert",
                   "VM Exception while processing transaction:", "reverted:", "revert"):
        if text.lower().startswith(prefix.lower()):
            text = text[len(prefix) :].strip()
            break
    return text


def _rpc_error(exc: Web3RPCError) -> dict[str, Any] | None:
    response: Any = exc.rpc_response
    error = response.get("error") if isinstance(response, dict) else None
    return error if isinstance(error, dict) else None


def revert_reason(exc: BaseException) -> str | None:
    """The revert reason when `exc` reports an EVM revert (any node's shape), else None."""
    if isinstance(exc, ContractLogicError):
        reason = decode_revert_data(exc.data)
        if reason:
            return reason
        message = exc.message if isinstance(getattr(exc, "message", None), str) else str(exc)
        return _strip_prefix(message or "") or "execution reverted"
    if isinstance(exc, Web3RPCError):
        error = _rpc_error(exc)
        message = str(error.get("message") or "") if error else str(exc.message or exc)
        data = error.get("data") if error else None
        code = error.get("code") if error else None
        if code == 3 or "revert" in message.lower():
            return decode_revert_data(data) or _strip_prefix(message) or "execution reverted"
    return None


def node_message(exc: BaseException) -> str:
    """The node's own error message, lower-cased ('' when it is not a JSON-RPC error)."""
    if isinstance(exc, Web3RPCError):
        error = _rpc_error(exc)
        return str((error or {}).get("message") or exc.message or "").lower()
    return ""


def describe(exc: BaseException) -> str:
    """One line for a log or an error; never a URL with credentials (endpoints come masked)."""
    if isinstance(exc, Web3RPCError):
        error = _rpc_error(exc)
        if error and error.get("message"):
            return str(error["message"])
        return str(exc.message or exc)
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError, httpx.TimeoutException)):
        return "request timed out"
    if isinstance(exc, NodeUnreachable):
        return f"node unreachable: {exc}"
    if isinstance(exc, httpx.TransportError):  # httpx messages carry no URL
        return f"node unreachable: {type(exc).__name__}: {exc}" if str(exc) else f"node unreachable: {type(exc).__name__}"
    if isinstance(exc, httpx.HTTPStatusError):  # its str() holds the URL: leave it out
        return f"node answered HTTP {exc.response.status_code}"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def to_chain_error(exc: BaseException, tx_hash: str | None = None) -> ChainError:
    """Normalise any exception from a web3 call into TxReverted / TxFailed."""
    if isinstance(exc, ChainError):
        return exc
    reason = revert_reason(exc)
    if reason is not None:
        return TxReverted(reason, tx_hash)
    return TxFailed(describe(exc), tx_hash)
