"""One object per repeated value, so a million positions that name the same pool, token, symbol,
epoch or block hold one string or int between them instead of a million copies."""

from __future__ import annotations

import sys

_INT_POOL_MAX = 1 << 16
_int_pool: dict[int, int] = {}


def intern_text(value: str) -> str:
    """One string object for a value thousands of positions repeat (a pool, a token, a symbol)."""
    return sys.intern(value)


def intern_int(value: int) -> int:
    """One int object for a value many positions repeat (an epoch, a block, a sync time, a threshold)."""
    return int_pool().setdefault(value, value)


def int_pool() -> dict[int, int]:
    """The table behind `intern_int`, for loops over many rows (`pool.setdefault(v, v)`), kept bounded."""
    if len(_int_pool) >= _INT_POOL_MAX:
        _int_pool.clear()
    return _int_pool
