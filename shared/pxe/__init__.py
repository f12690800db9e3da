"""The PXE JSON-RPC client (docs/pxe-jsonrpc.md): field encoding, errors and the lending-protocol reads."""

from shared.pxe.client import Call, Notes, PoolConfig, PxeClient, TxReceipt
from shared.pxe.errors import PxeError, PxeInvalidInput, PxeMethodNotFound, PxeReverted, PxeUnreachable
from shared.pxe.fields import field_to_symbol, from_field, normalize_address, symbol_to_field, to_field

__all__ = [
    "Call", "Notes", "PoolConfig", "PxeClient", "TxReceipt",
    "PxeError", "PxeInvalidInput", "PxeMethodNotFound", "PxeReverted", "PxeUnreachable",
    "field_to_symbol", "from_field", "normalize_address", "symbol_to_field", "to_field",
]
