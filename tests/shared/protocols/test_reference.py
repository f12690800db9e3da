"""The reference protocol module: worked examples of docs/money-math.md (reference) and properties, checked against the dev PXE."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from devnet.pxe.reference import contracts as protocol
from shared.protocols import format_health_factor, reference

UNIT = 10**18
NOW = 1_800_000_000  # a fixed clock: the math is pure

amounts = st.integers(min_value=0, max_value=10**30)
positive_amounts = st.integers(min_value=1, max_value=10**30)
prices = st.integers(min_value=1, max_value=10**16)  # up to $100M with 8 decimals
thresholds = st.integers(min_value=1, max_value=10_000)
epochs = st.integers(min_value=0, max_value=10_000_000)


# --- worked examples ------------------------------------------------------------------------


def test_rate_terms_at_wad_precision() -> None:
    # r = 50 * 1e18 // (1000 * 31_536_000); b2 = r*r // 1e18 = 2; b3 = 2*r // 1e18 = 0.
    r = 50 * 10**18 // (1000 * 31_536_000)
    assert r == 1_585_489_599
    assert r * r // 10**18 == 2
    assert 2 * r // 10**18 == 0


def test_interest_for_one_epoch_by_hand() -> None:
    # dt = 900 s: offset = (900*r + 900*899*2//2) // 1e9 = (1_426_940_639_100 + 809_100) // 1e9 = 1426
    assert reference.interest(10**18, 7, 8) == 10**18 * 1426 // 10**9 == 1_426_000_000_000
    assert reference.interest(1_000_000_000, 7, 8) == 1426


def test_interest_for_four_epochs_by_hand() -> None:
    # dt = 3600 s: (3600*r + 3600*3599) // 1e9 = (5_707_762_556_400 + 12_956_400) // 1e9 = 5707
    assert reference.interest(2 * 10**18, 100, 104) == 2 * 10**18 * 5707 // 10**9


def test_interest_for_a_year_of_epochs() -> None:
    # dt = 31_536_000: (49_999_999_994_064_000 + 994_519_264_464_000) // 1e9 = 50_994_519, i.e. 5.0994519 %.
    # Continuous compounding at 5 % would be 5.127 %; the third-order series at WAD precision
    # truncates b2 to 2 and b3 to 0, so the contracts' exact figure is this one.
    year_of_epochs = 31_536_000 // 900
    assert reference.interest(10**18, 0, year_of_epochs) == 50_994_519 * 10**9
    ratio = Decimal(reference.interest(10**18, 0, year_of_epochs)) / Decimal(10**18)
    assert Decimal("0.05") < ratio < Decimal("0.05127")


@pytest.mark.parametrize(("start", "end"), [(5, 5), (10, 3), (0, 0)])
def test_no_interest_when_end_is_not_after_start(start: int, end: int) -> None:
    assert reference.interest(10**24, start, end) == 0


def test_total_debt_accrues_up_to_the_next_epoch() -> None:
    now = 900 * 1000 + 17  # epoch 1000 has started, so interest runs to epoch 1001
    assert reference.next_epoch(now) == 1001
    assert reference.total_debt(10**18, 1000, now) == 10**18 + 1_426_000_000_000
    assert reference.total_debt(10**18, 1001, now) == 10**18


def test_liquidation_worked_example() -> None:
    # 10 ETH at $2 000, threshold 80 %: 16 000 of borrowing power; 17 000 USDC owed.
    collateral, eth, usdc, debt = 10 * UNIT, 2_000 * 10**8, 1 * 10**8, 17_000 * UNIT
    assert reference.is_liquidatable(collateral, eth, 8_000, debt, usdc)
    assert format_health_factor(reference.health_factor(collateral, eth, 8_000, debt, usdc)) == "0.9411"
    liquidation = reference.seizure(8_500 * UNIT, eth, usdc)
    assert liquidation.seized == 4_675 * UNIT // 1000  # 4.25 ETH + 10 % bonus
    assert liquidation.bonus == 425 * UNIT // 1000
    assert liquidation.fee == 425 * UNIT // 10_000
    assert liquidation.liquidator_receives == liquidation.seized - liquidation.fee
    assert reference.max_repay(collateral, eth, debt, usdc) == debt // 2


def test_health_factor_display() -> None:
    assert format_health_factor(None) == "Infinity"
    assert reference.health_factor(10 * UNIT, 10**8, 8_000, 0, 10**8) is None
    assert format_health_factor(Decimal("0.95238095")) == "0.9523"
    assert format_health_factor(Decimal("0.99999")) == "0.9999"  # never rounds up to 1
    assert format_health_factor(Decimal(2)) == "2.0000"


def test_max_repay_is_zero_without_debt_or_collateral() -> None:
    assert reference.max_repay(10 * UNIT, 10**8, 0, 10**8) == 0
    assert reference.max_repay(10 * UNIT, 10**8, 1, 10**8) == 0  # 1 // 2 == 0
    assert reference.max_repay(0, 10**8, 10 * UNIT, 10**8) == 0


# --- properties -------------------------------------------------------------------------------


@given(principal=amounts, start=epochs, span=st.integers(min_value=0, max_value=100_000))
def test_interest_grows_with_time(principal: int, start: int, span: int) -> None:
    assert 0 <= reference.interest(principal, start, start + span) <= reference.interest(principal, start, start + span + 1)


@given(collateral=amounts, cp=prices, threshold=thresholds, debt=amounts, dp=prices)
def test_liquidatable_exactly_when_health_factor_below_one(collateral: int, cp: int, threshold: int, debt: int, dp: int) -> None:
    hf = reference.health_factor(collateral, cp, threshold, debt, dp)
    assert reference.is_liquidatable(collateral, cp, threshold, debt, dp) == (hf is not None and hf < 1)


@given(repay=amounts, cp=prices, dp=prices)
def test_seizure_parts_add_up(repay: int, cp: int, dp: int) -> None:
    liquidation = reference.seizure(repay, cp, dp)
    base = repay * dp // cp
    assert liquidation.seized == base + liquidation.bonus
    assert 0 <= liquidation.fee <= liquidation.bonus <= base
    assert liquidation.liquidator_receives == liquidation.seized - liquidation.fee


@given(collateral=amounts, cp=prices, debt=amounts, dp=prices)
def test_max_repay_is_the_largest_within_both_limits(collateral: int, cp: int, debt: int, dp: int) -> None:
    repay = reference.max_repay(collateral, cp, debt, dp)
    assert 0 <= repay <= debt // 2
    assert reference.seizure(repay, cp, dp).seized <= collateral
    one_more = repay + 1
    assert one_more > debt // 2 or reference.seizure(one_more, cp, dp).seized > collateral


@given(
    principal=amounts, loan_epoch=epochs, now=st.integers(min_value=0, max_value=10_000_000 * 900),
    collateral=amounts, cp=prices, threshold=thresholds, dp=prices,
)
def test_money_agrees_with_the_protocol(
    principal: int, loan_epoch: int, now: int, collateral: int, cp: int, threshold: int, dp: int
) -> None:
    loan = protocol.LoanNote("0x0", 0, principal, loan_epoch)
    debt = reference.total_debt(principal, loan_epoch, now)
    assert debt == protocol.owed(loan, now)
    assert reference.is_liquidatable(collateral, cp, threshold, debt, dp) == protocol.is_unhealthy(collateral, cp, threshold, debt, dp)


# --- max_repay against the protocol's own liquidation --------------------------------------

LIQUIDATOR = "0x" + "11" * 32
POOL = "0x" + "22" * 32
ESCROW = "0x" + "33" * 32
COLLATERAL_TOKEN = "0x" + "44" * 32
DEBT_TOKEN = "0x" + "55" * 32


def _liquidate(collateral: int, principal: int, loan_epoch: int, threshold: int, cp: int, dp: int, repay: int) -> None:
    """One protocol.liquidate with a matching authwit and enough balance, so only the math can revert."""
    pool = protocol.Pool(POOL, COLLATERAL_TOKEN, DEBT_TOKEN, 7_000, threshold)
    escrow = protocol.Escrow(
        ESCROW, POOL, protocol.CollateralNote(ESCROW, 1, collateral), protocol.LoanNote(ESCROW, 2, principal, loan_epoch)
    )
    tokens = {
        COLLATERAL_TOKEN: protocol.Token(COLLATERAL_TOKEN, "ETH"),
        DEBT_TOKEN: protocol.Token(DEBT_TOKEN, "USDC", private_balances={LIQUIDATOR: repay}),
    }
    nonce = 7
    authwit = protocol.AuthwitIntent(
        LIQUIDATOR, POOL, "transfer_private_to_public", DEBT_TOKEN, (int(LIQUIDATOR, 16), int(POOL, 16), repay, nonce)
    )
    protocol.liquidate(
        escrow, pool, tokens, LIQUIDATOR, repay, nonce, cp, dp, {"ETH": cp, "USDC": dp}, {authwit}, set(), NOW
    )


@settings(max_examples=200, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    collateral=positive_amounts, cp=prices, threshold=thresholds, dp=prices,
    excess=st.integers(min_value=1, max_value=10**30), epochs_ago=st.integers(min_value=0, max_value=50_000),
)
def test_max_repay_never_reverts_and_one_more_does(
    collateral: int, cp: int, threshold: int, dp: int, excess: int, epochs_ago: int
) -> None:
    # Owe just more than the threshold allows, so the position is liquidatable by construction.
    principal = collateral * cp * threshold // (dp * 10_000) + excess
    loan_epoch = reference.next_epoch(NOW) - epochs_ago
    debt = reference.total_debt(principal, loan_epoch, NOW)
    assert reference.is_liquidatable(collateral, cp, threshold, debt, dp)
    repay = reference.max_repay(collateral, cp, debt, dp)
    assume(repay > 0)

    _liquidate(collateral, principal, loan_epoch, threshold, cp, dp, repay)
    with pytest.raises(protocol.Revert) as reverted:
        _liquidate(collateral, principal, loan_epoch, threshold, cp, dp, repay + 1)
    assert reverted.value.reason in (protocol.OVER_CLOSE_FACTOR, protocol.INSUFFICIENT_COLLATERAL)
