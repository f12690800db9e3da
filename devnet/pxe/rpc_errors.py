"""The JSON-RPC errors the development PXE answers with, by code (docs/pxe-jsonrpc.md)."""

from __future__ import annotations

INVALID_INPUT = -32701
EXECUTION_ERROR = -32702
METHOD_NOT_FOUND = -32601

# What a read or a tx of an escrow answers when this PXE cannot decrypt its notes.
NOTES_UNKNOWN = "Escrow notes unknown: register the escrow with its secret key"


class RpcError(Exception):
    code = EXECUTION_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(RpcError):
    code = INVALID_INPUT


class ExecutionError(RpcError):
    code = EXECUTION_ERROR


class MethodNotFound(RpcError):
    code = METHOD_NOT_FOUND
