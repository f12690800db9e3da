"""What can go wrong talking to a PXE, by what the caller should do about it."""

from __future__ import annotations


class PxeError(Exception):
    """Any PXE failure; `code` is the JSON-RPC error code when the PXE answered with one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class PxeUnreachable(PxeError):
    """No usable answer: connect error, timeout, HTTP 5xx or a body that is not JSON-RPC. Worth retrying."""


class PxeReverted(PxeError):
    """Execution error (-32702): the contract reverted; `reason` is the PXE's message."""

    def __init__(self, reason: str, code: int | None = -32702) -> None:
        super().__init__(reason, code)
        self.reason = reason


class PxeInvalidInput(PxeError):
    """The PXE rejected the parameters (-32701)."""


class PxeMethodNotFound(PxeError):
    """The PXE does not know the method (-32601)."""
