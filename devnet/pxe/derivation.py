"""Deterministic field elements standing in for Aztec's Poseidon-derived values (addresses, hashes)."""

from __future__ import annotations

import hashlib

from shared.pxe.fields import to_field


def derive(*parts: object) -> int:
    """A deterministic field element (253 bits) standing in for Aztec's Poseidon-derived values."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest, "big") >> 3


def derive_field(*parts: object) -> str:
    return to_field(derive(*parts))


def account_address(secret_key: str) -> str:
    return derive_field("account", secret_key)


def public_keys_hash(secret_key: str) -> str:
    return derive_field("public-keys", secret_key)
