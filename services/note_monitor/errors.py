"""Why a registration or a removal did not happen, by what the HTTP API answers for it."""

from __future__ import annotations


class EscrowExists(Exception):
    """409."""


class EscrowNotFound(Exception):
    """404."""


class PxeUnavailable(Exception):
    """503: the PXE could not be reached (or failed) while the escrow was being discovered."""


class StoreUnavailable(Exception):
    """503: the monitor's database refuses the write (read-only, schema missing, unreachable); the message
    says which and what the operator must do."""


class EscrowRejected(Exception):
    """422: the PXE refused the escrow or holds none of its notes; the message says why and what to give."""

    def __init__(self, reason: str, field: str = "address") -> None:
        super().__init__(reason)
        self.field = field
