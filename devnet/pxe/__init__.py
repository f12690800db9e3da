"""A development PXE: Aztec's PXE JSON-RPC over an in-memory model of the lending protocol (reference or nocom-v1)."""
