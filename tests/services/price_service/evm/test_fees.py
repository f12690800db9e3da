"""Fee arithmetic of replacements (no chain): exact integers, rounded up, never above the cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.price_service.evm.errors import TxFailed
from services.price_service.evm.fees import GWEI, Fees, bumped, gwei, initial_fees, market_fees, replacement_fees

CAP = 500 * GWEI


def test_a_bump_is_twelve_and_a_half_percent_rounded_up() -> None:
    assert bumped(8) == 9 and bumped(9) == 11 and bumped(1) == 2 and bumped(0) == 0
    assert bumped(10 * GWEI) == 11_250_000_000
    assert bumped(1_000_000_001) == 1_125_000_002  # 1 125 000 001.125 → up


@given(st.integers(min_value=0, max_value=10**30))
def test_a_bump_is_never_less_than_twelve_and_a_half_percent(value: int) -> None:
    assert bumped(value) * 8 >= value * 9 > (bumped(value) - 1) * 8


def test_initial_fees_leave_room_for_the_base_fee_to_double_under_the_cap() -> None:
    assert initial_fees(10 * GWEI, GWEI, CAP) == Fees(21 * GWEI, GWEI) == market_fees(10 * GWEI, GWEI)
    assert initial_fees(300 * GWEI, 2 * GWEI, CAP) == Fees(CAP, 2 * GWEI)  # clipped to the cap
    with pytest.raises(TxFailed, match="network fee 501 gwei is above the cap of 500 gwei"):
        initial_fees(500 * GWEI, GWEI, CAP)


def test_a_replacement_bumps_both_fees_or_follows_a_higher_market() -> None:
    old = Fees(20 * GWEI, 2 * GWEI)
    assert replacement_fees(old, Fees(GWEI, GWEI), CAP) == Fees(22_500_000_000, 2_250_000_000)
    assert replacement_fees(old, Fees(80 * GWEI, 3 * GWEI), CAP) == Fees(80 * GWEI, 3 * GWEI)
    assert replacement_fees(old, Fees(900 * GWEI, 3 * GWEI), CAP) == Fees(CAP, 3 * GWEI)  # market above the cap


def test_no_replacement_once_a_bump_would_cross_the_cap() -> None:
    assert replacement_fees(Fees(450 * GWEI, GWEI), Fees(GWEI, GWEI), CAP) is None  # 506.25 > 500
    assert replacement_fees(Fees(444 * GWEI, GWEI), Fees(GWEI, GWEI), CAP) == Fees(499_500_000_000, 1_125_000_000)
    assert replacement_fees(Fees(CAP, 480 * GWEI), Fees(GWEI, GWEI), 10**30) == Fees(562_500_000_000, 540 * GWEI)
    assert replacement_fees(Fees(CAP, 480 * GWEI), Fees(GWEI, GWEI), 540 * GWEI) is None  # tip cannot rise 12.5 %


@given(st.integers(1, 10**12), st.integers(0, 10**12), st.integers(0, 10**13), st.integers(0, 10**12),
       st.integers(1, 10**13))
def test_a_replacement_is_always_valid_or_none(max_fee: int, tip: int, market_fee: int, market_tip: int, cap: int) -> None:
    old = Fees(max_fee, min(tip, max_fee))
    new = replacement_fees(old, Fees(market_fee, market_tip), cap)
    if new is not None:
        assert new.max_fee <= cap and new.priority <= new.max_fee
        assert new.max_fee * 8 >= old.max_fee * 9 and new.priority * 8 >= old.priority * 9


def test_gwei_is_exact() -> None:
    assert gwei(500 * GWEI) == "500" and gwei(1_500_000_000) == "1.5" and gwei(1) == "0.000000001"
