"""The update rule (docs/money-math.md, when a price is pushed), with its boundaries exactly at the threshold and the heartbeat."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.price_service.update_rule import decide, is_jump, jump_confirmed

THRESHOLD = Decimal("0.5")
HEARTBEAT = 1800.0
prices = st.integers(min_value=1, max_value=10**16)
NOW = 1_800_000_000


@given(old=prices, since=st.integers(0, 10_000))
def test_no_onchain_price_is_always_initial(old: int, since: int) -> None:
    assert decide(old, 0, 0, NOW, THRESHOLD, HEARTBEAT).reason == "initial"


@given(old=st.integers(min_value=200, max_value=10**14).map(lambda v: v * 200))
def test_exactly_at_the_threshold_is_due(old: int) -> None:
    # old is a multiple of 200, so 0.5 % of it is an exact integer step.
    step = old // 200
    for new in (old + step, old - step):
        decision = decide(new, old, NOW - 10, NOW, THRESHOLD, HEARTBEAT)
        assert decision.due and decision.reason == "deviation"
    for new in (old + step - 1, old - step + 1):
        assert not decide(new, old, NOW - 10, NOW, THRESHOLD, HEARTBEAT).due


@given(old=prices, delta=st.integers(-10**6, 10**6))
def test_exactly_at_the_heartbeat_is_due(old: int, delta: int) -> None:
    new = max(1, old + delta)
    at = decide(new, old, NOW - int(HEARTBEAT), NOW, THRESHOLD, HEARTBEAT)
    before = decide(new, old, NOW - int(HEARTBEAT) + 1, NOW, THRESHOLD, HEARTBEAT)
    assert at.due
    assert before.due == (before.reason == "deviation")


@given(old=prices, new=prices, since=st.integers(0, 4000))
def test_due_iff_deviation_or_heartbeat(old: int, new: int, since: int) -> None:
    decision = decide(new, old, NOW - since, NOW, THRESHOLD, HEARTBEAT)
    moved = abs(new - old) * 1000 >= 5 * old  # 0.5 % in exact integers, written independently
    assert decision.due == (moved or since >= HEARTBEAT)
    assert decision.reason == ("deviation" if moved else "heartbeat" if since >= HEARTBEAT else None)


@given(old=st.integers(min_value=1, max_value=10**14).map(lambda v: v * 2))
def test_jump_guard_boundary(old: int) -> None:
    half = old // 2
    assert not is_jump(old + half, old, Decimal(50))  # exactly 50 % is allowed
    assert is_jump(old + half + 1, old, Decimal(50))
    assert not is_jump(old, 0, Decimal(50))  # no on-chain price: nothing to compare with


def test_jump_confirmation_needs_the_same_side() -> None:
    old = 100_000 * 10**8
    crash = 40_000 * 10**8
    assert jump_confirmed(41_000 * 10**8, crash, old, Decimal(50))
    assert not jump_confirmed(99_000 * 10**8, crash, old, Decimal(50))  # a single bad quote, then normal
    assert not jump_confirmed(260_000 * 10**8, crash, old, Decimal(50))  # the other way: not a confirmation
