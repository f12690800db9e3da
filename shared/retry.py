"""The one retry primitive: bounded (or, for start-up work, unbounded) attempts with exponential backoff.

Only what is safe to repeat is retried: callers name the exceptions worth another try, and
anything else propagates at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class RetriesExhausted(Exception):
    def __init__(self, attempts: int, last: BaseException | None) -> None:
        self.attempts = attempts
        self.last = last
        super().__init__(f"gave up after {attempts} attempts: {last!r}" if last else f"gave up after {attempts} attempts")


def backoff_delay(attempt: int, base: float, cap: float = 10.0) -> float:
    """The pause after failed attempt number `attempt` (1-based): base, 2 base, 4 base, ... up to cap."""
    return min(cap, base * 2.0 ** min(attempt - 1, 32))


async def retry(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int | None = 3,
    backoff: float = 0.2,
    cap: float = 10.0,
    retry_on: tuple[type[BaseException], ...],
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> T:
    """Run `call` until it succeeds, at most `attempts` times (None: until it succeeds).

    An exception in `retry_on` is followed by a pause and another try; after the last attempt it
    becomes RetriesExhausted (with `.last`). `on_retry(attempt, exc)` runs before each pause.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except retry_on as exc:
            if attempts is not None and attempt >= attempts:
                raise RetriesExhausted(attempt, exc) from exc
            if on_retry:
                on_retry(attempt, exc)
            await asyncio.sleep(backoff_delay(attempt, backoff, cap))
