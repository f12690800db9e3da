"""The one retry primitive."""

from __future__ import annotations

import pytest

from shared.retry import RetriesExhausted, backoff_delay, retry


class Flaky(Exception):
    pass


async def test_retries_only_what_it_is_told_and_reports_each_retry() -> None:
    calls: list[int] = []
    seen: list[tuple[int, str]] = []

    async def twice_then_ok() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise Flaky(f"try {len(calls)}")
        return "done"

    result = await retry(twice_then_ok, attempts=3, backoff=0, retry_on=(Flaky,),
                         on_retry=lambda n, exc: seen.append((n, str(exc))))
    assert result == "done" and len(calls) == 3
    assert seen == [(1, "try 1"), (2, "try 2")]


async def test_gives_up_with_the_last_error_and_never_retries_others() -> None:
    async def always() -> None:
        raise Flaky("still down")

    with pytest.raises(RetriesExhausted) as caught:
        await retry(always, attempts=2, backoff=0, retry_on=(Flaky,))
    assert caught.value.attempts == 2 and str(caught.value.last) == "still down"

    calls = 0

    async def wrong() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("not retryable")

    with pytest.raises(ValueError):
        await retry(wrong, attempts=5, backoff=0, retry_on=(Flaky,))
    assert calls == 1


async def test_unbounded_attempts_go_on_until_success() -> None:
    left = 7

    async def eventually() -> int:
        nonlocal left
        left -= 1
        if left:
            raise Flaky()
        return 42

    assert await retry(eventually, attempts=None, backoff=0, retry_on=(Flaky,)) == 42


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff_delay(n, 0.5, cap=3) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3, 3]
    assert backoff_delay(10_000, 1.0) == 10.0  # no overflow for long outages
