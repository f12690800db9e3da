"""nocom-v1's transcription against the numbers of its own contracts, and its closed forms against searches.

Golden vectors: the live Noir test `private_escrow/src/test/tests.nr::test_liquidation`, the math.nr
comments that still hold at today's EPOCH_LENGTH, and values computed from the Noir by hand.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.protocols import nocom_v1 as n

E18 = 10**18


@pytest.mark.parametrize("apy, rate", [(500, 15_854_895_991), (400, 12_683_916_793), (40, 1_268_391_679), (50, 1_585_489_599)])
def test_rates_per_second(apy: int, rate: int) -> None:
    assert n.apy_to_rate_per_second(apy) == rate


@pytest.mark.parametrize("rate, dt, multiplier", [
    (15_854_895_991, 900, 1_000_014_269), (15_854_895_991, 1800, 1_000_028_539), (15_854_895_991, 3600, 1_000_057_079),
    (15_854_895_991, 86_400, 1_001_370_799), (15_854_895_991, 31_536_000, 1_624_812_167),
    (1_268_391_679, 1, 1_000_000_001), (1_268_391_679, 600, 1_000_000_761), (1_585_489_599, 600, 1_000_000_951),
    (1_268_391_679, 900, 1_000_001_141), (1_585_489_599, 900, 1_000_001_426), (1_268_391_679, 0, 10**9),
])
def test_compute_multiplier(rate: int, dt: int, multiplier: int) -> None:
    assert n.compute_multiplier(rate, dt) == multiplier


def test_the_deployed_rate_is_fifty_percent_a_year() -> None:
    epoch = 1_000
    year = 31_536_000 // 900
    assert n.calculate_interest(100 * E18, epoch, epoch + year) == 62_481_216_700_000_000_000  # ~50 % compounded


def test_next_epoch_rounds_up() -> None:
    assert [n.get_next_epoch(t) for t in (1_764_000_000, 1_764_000_001, 1_764_000_899, 1_764_000_900)] == \
        [1_960_000, 1_960_001, 1_960_001, 1_960_001]


def test_the_contracts_own_test_liquidation() -> None:
    usdc, zec = 10**4, 500 * 10**4
    assert n.calculate_ltv_health(usdc, 7_000 * E18, zec, 20 * E18, 75_000) == 107_142
    assert n.calculate_ltv_health(usdc, 7_000 * E18, zec, 20 * E18, 80_000) == 114_285
    # ZEC falls to $437: the liquidation of 3 500 USDC in the loan's own epoch window.
    epoch = 1_960_000
    interest = n.calculate_interest(7_000 * E18, epoch, epoch + 1)
    assert interest == 99_883_000_000_000_000
    total = 7_000 * E18 + interest
    assert n.calculate_ltv_health(usdc, total, 437 * 10**4, 20 * E18, 80_000) == 99_884
    assert n.calculate_liquidation(3_500 * E18, usdc, 437 * 10**4) == \
        (8_810_068_649_885_583_523, 8_729_977_116_704_805_491, 80_091_533_180_778_032)
    assert n.calculate_liquidation(3_500 * E18, usdc, 437 * 10**4, protocol_fee=0)[2] == 0
    assert n.loan_after_liquidation(total, 3_500 * E18, epoch * 900 + 1) == (total - 3_500 * E18, epoch)
    assert n.max_repay(8 * E18, 437 * 10**4, total, usdc) == 3_178_181_818_181_818_182_572


def test_a_debt_worth_nothing_is_never_liquidatable() -> None:
    assert n.calculate_ltv_health(1, 10**14 - 1, 1, 1, 80_000) == n.U128_MAX
    assert not n.is_liquidatable(0, 10**4, 80_000, 10**14 - 1, 1)
    assert n.health_factor(0, 10**4, 80_000, 10**14 - 1, 1) is None


def test_the_swapped_price_check() -> None:
    # The pool compares the feed's collateral price with the asserted DEBT price.
    assert n.price_check_passes(437 * 10**4, 10**4, 437 * 10**4, 10**4)  # collateral dearer than debt: passes
    assert not n.price_check_passes(10**4, 400 * 10**4, 10**4, 400 * 10**4)  # USDC collateral, ZEC debt: reverts


def test_an_overflowing_value_aborts_instead_of_wrapping() -> None:
    with pytest.raises(n.NoirAbort):
        n.calculate_ltv_health(2**64, 2**64, 1, 1, 80_000)
    assert not n.is_liquidatable(1, 1, 80_000, 2**64, 2**64)


amounts = st.integers(0, 10**30)
prices = st.integers(1, 10**10)
thresholds = st.integers(1, 100_000)


@settings(max_examples=500, deadline=None)
@given(amounts, amounts, thresholds, prices, prices)
def test_the_fast_test_is_the_contracts_health_check(collateral: int, debt: int, threshold: int, cp: int, dp: int) -> None:
    assert n.liquidation_test(cp, dp)(collateral, threshold, debt) == n.is_liquidatable(collateral, cp, threshold, debt, dp)


@settings(max_examples=300, deadline=None)
@given(st.integers(10**14, 10**28), st.integers(10**14, 10**28), prices, prices)
def test_max_repay_is_the_largest_the_contract_accepts(collateral: int, debt: int, cp: int, dp: int) -> None:
    repay = n.max_repay(collateral, cp, debt, dp)
    assert repay * 2 <= debt
    assert n.calculate_liquidation(repay, dp, cp)[0] <= collateral
    bigger = repay + 1
    assert bigger * 2 > debt or n.calculate_liquidation(bigger, dp, cp)[0] > collateral


@pytest.mark.parametrize("wanted", [99_999, 100_000, 100_001])
def test_the_boundary_of_liquidatable_is_exactly_one_hundred_thousand(wanted: int) -> None:
    # Collateral worth exactly `wanted`/10^5 of a debt of $10 000 at an 80 % threshold.
    debt, dp, cp, threshold = 10_000 * E18, 10**4, 10**4, 80_000
    collateral = wanted * 10_000 * E18 // 80_000
    health = n.calculate_ltv_health(dp, debt, cp, collateral, threshold)
    assert health == wanted
    assert n.is_liquidatable(collateral, cp, threshold, debt, dp) is (health < 100_000)
