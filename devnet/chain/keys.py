"""Well-known development keys (public, worthless; never use them on a real network)."""

from __future__ import annotations

# The production refusal list holds the published keys once; the local chains fund its first ten.
from services.price_service.published_keys import DEV_CHAIN_KEYS, DEV_CHAIN_MNEMONIC

ANVIL_MNEMONIC = DEV_CHAIN_MNEMONIC
ANVIL_DEV_KEYS: list[str] = list(DEV_CHAIN_KEYS[:10])
ANVIL_CHAIN_ID = 31337
