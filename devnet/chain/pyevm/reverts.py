"""A reverted call as anvil/geth report it: code 3, "execution reverted: <reason>", the raw revert data."""

from __future__ import annotations

import ast
from typing import Any

from devnet.chain.pyevm.rpc_error import RpcError

ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)


def _revert_payload(exc: BaseException) -> tuple[str, bytes | None]:
    """(reason, raw revert data) from an eth-tester TransactionFailed."""
    arg: Any = exc.args[0] if exc.args else b""
    if isinstance(arg, BaseException):  # estimate_gas wraps py-evm's Revert(bytes)
        arg = arg.args[0] if arg.args else b""
    if isinstance(arg, str) and arg[:2] in ("b'", 'b"'):  # call() stringifies non-standard data
        try:
            arg = ast.literal_eval(arg)
        except (ValueError, SyntaxError):
            pass
    if isinstance(arg, (bytes, bytearray)):
        data = bytes(arg)
        return _decode_reason(data), data
    reason = str(arg)
    if reason in ("", "Revert"):
        return "", b""
    # eth-tester's call() already decoded an Error(string) reason: re-encode it like a node would.
    from eth_abi import encode

    return reason, ERROR_SELECTOR + encode(["string"], [reason])


def _decode_reason(data: bytes) -> str:
    if data[:4] == ERROR_SELECTOR:
        from eth_abi import decode

        try:
            return str(decode(["string"], data[4:])[0])
        except Exception:  # noqa: BLE001 - malformed payload
            return ""
    return ""


def revert_error(exc: BaseException) -> RpcError:
    reason, data = _revert_payload(exc)
    message = f"execution reverted: {reason}" if reason else "execution reverted"
    return RpcError(3, message, "0x" + data.hex() if data is not None else None)
