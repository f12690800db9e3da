"""The development PXE's transcription of nocom-v1's Noir math against the contracts' own numbers.

Vectors: the live TXE test private_escrow/src/test/tests.nr::test_liquidation (107142, 114285, the
3 500 USDC liquidation at ZEC $437), the commented-out #[test]s in math.nr where they still hold,
and the worked numbers of the research notes (/work/notes/nocom-v1.md section 12).
"""

from __future__ import annotations

import pytest

from devnet.pxe.nocom_v1 import contracts as noir

UNIT = 10**18
USD = noir.PRICE_BASE  # $1 with the feed's 4 decimals
EPOCH = 1_960_000  # a loan written in this epoch; liquidations anchored in (EPOCH*900, (EPOCH+1)*900]


def test_health_of_the_txe_test_position() -> None:
    # 20 ZEC at $500 against 7 000 USDC: asserted exactly by tests.nr through get_health_factor.
    assert noir.calculate_ltv_health(USD, 7_000 * UNIT, 500 * USD, 20 * UNIT, 75_000) == 107142
    assert noir.calculate_ltv_health(USD, 7_000 * UNIT, 500 * USD, 20 * UNIT, 80_000) == 114285
    # ZEC at $437: liquidatable with one epoch of interest, and without it.
    assert noir.calculate_ltv_health(USD, 7_000_099_883 * 10**12, 437 * USD, 20 * UNIT, 80_000) == 99884
    assert noir.calculate_ltv_health(USD, 7_000 * UNIT, 437 * USD, 20 * UNIT, 80_000) == 99885


def test_a_debt_worth_less_than_the_scaling_base_is_never_liquidatable() -> None:
    assert noir.calculate_ltv_health(USD, 10**14 - 1, 1, 1, 80_000) == noir.U128_MAX


@pytest.mark.parametrize("apy, rate", [(500, 15_854_895_991), (400, 12_683_916_793), (40, 1_268_391_679), (50, 1_585_489_599)])
def test_apy_is_read_in_tenths_of_a_percent(apy: int, rate: int) -> None:
    assert noir.apy_to_rate_per_second(apy) == rate


@pytest.mark.parametrize("rate, dt, multiplier", [
    (15_854_895_991, 900, 1_000_014_269),  # BORROW_INTEREST = 500: one epoch
    (15_854_895_991, 1_800, 1_000_028_539),
    (15_854_895_991, 3_600, 1_000_057_079),
    (15_854_895_991, 86_400, 1_001_370_799),
    (15_854_895_991, 31_536_000, 1_624_812_167),  # a year at "5 %" is +62 %
    (1_268_391_679, 1, 1_000_000_001),  # math.nr's commented-out tests
    (1_268_391_679, 600, 1_000_000_761),
    (1_585_489_599, 600, 1_000_000_951),
    (1_268_391_679, 900, 1_000_001_141),
    (1_585_489_599, 900, 1_000_001_426),
    (1_268_391_679, 0, noir.INTEREST_BASE),
])
def test_compute_multiplier(rate: int, dt: int, multiplier: int) -> None:
    assert noir.compute_multiplier(rate, dt) == multiplier


def test_interest_of_one_epoch_at_the_deployed_rate() -> None:
    assert noir.calculate_interest(7_000 * UNIT, EPOCH, EPOCH + 1, 900, noir.BORROW_INTEREST) == 99_883_000_000_000_000
    assert noir.calculate_interest(7_000 * UNIT, EPOCH, EPOCH, 900, noir.BORROW_INTEREST) == 0
    assert noir.calculate_interest(7_000 * UNIT, EPOCH + 5, EPOCH, 900, noir.BORROW_INTEREST) == 0  # backwards: none


@pytest.mark.parametrize("anchor, epoch", [(1_764_000_000, 1_960_000), (1_764_000_001, 1_960_001), (1_764_000_899, 1_960_001),
                                            (1_764_000_900, 1_960_001)])
def test_next_epoch_rounds_up(anchor: int, epoch: int) -> None:
    assert noir.get_next_epoch(anchor) == epoch


def test_seizure_truncates_twice() -> None:
    assert noir.calculate_liquidation(3_500 * UNIT, USD, 437 * USD) == (8810068649885583523, 8729977116704805491, 80091533180778032)
    assert noir.calculate_liquidation(3_500 * UNIT, USD, 437 * USD, 0) == (8810068649885583523, 8810068649885583523, 0)
    # The debt's value is floored to the 10^4 grid first: 1 wei of debt at $0.5 is worth nothing.
    assert noir.calculate_liquidation(1, USD // 2, USD) == (0, 0, 0)


def test_the_txe_liquidation_end_to_end() -> None:
    outcome = noir.liquidate_private_money(
        anchor_timestamp=EPOCH * 900 + 1, borrow_principal=7_000 * UNIT, borrow_epoch=EPOCH, collateral_amount=20 * UNIT,
        amount_to_repay=3_500 * UNIT, asserted_collateral_token_price=437 * USD, asserted_loaned_token_price=USD,
        liquidation_threshold=80_000,
    )
    assert (outcome.next_epoch, outcome.total_borrowed, outcome.ltv_health) == (EPOCH + 1, 7_000_099_883 * 10**12, 99884)
    assert (outcome.total_collateral_seized, outcome.liquidator_collateral_amount, outcome.protocol_fee) == (
        8810068649885583523, 8729977116704805491, 80091533180778032)
    assert (outcome.remaining_loan_amount, outcome.loan_epoch) == (3_500_099_883 * 10**12, EPOCH)
    assert outcome.remaining_collateral_amount == 11189931350114416477


def money(**changes: int) -> noir.PrivateLiquidation:
    args = dict(anchor_timestamp=EPOCH * 900 + 1, borrow_principal=7_000 * UNIT, borrow_epoch=EPOCH, collateral_amount=20 * UNIT,
                amount_to_repay=3_500 * UNIT, asserted_collateral_token_price=437 * USD, asserted_loaned_token_price=USD,
                liquidation_threshold=80_000)
    return noir.liquidate_private_money(**{**args, **changes})


def test_the_checks_abort_in_the_contracts_order_with_its_messages() -> None:
    with pytest.raises(noir.NoirAbort, match="^Position healthy, cannot liquidate$"):
        money(asserted_collateral_token_price=500 * USD, amount_to_repay=10**40)  # health first, then the 50 % rule
    total = 7_000_099_883 * 10**12
    assert money(amount_to_repay=total // 2).remaining_loan_amount == total - total // 2
    with pytest.raises(noir.NoirAbort, match="^Cannot repay more than 50% of total borrowed in liquidation$"):
        money(amount_to_repay=total // 2 + 1)
    with pytest.raises(noir.NoirAbort, match="^attempt to subtract with overflow$"):
        money(collateral_amount=8 * UNIT)  # seizes 8.81 ZEC of 8: the collateral note underflows
    with pytest.raises(noir.NoirAbort, match="^attempt to multiply with overflow$"):
        money(amount_to_repay=2**127)  # amount_to_repay * 2 overflows u128 before it is compared


def test_the_public_check_in_its_declared_order() -> None:
    noir.liquidate_public_price_check([437 * USD, USD], 437 * USD, USD)
    with pytest.raises(noir.NoirAbort, match="^Collateral price lower than asserted$"):
        noir.liquidate_public_price_check([437 * USD, USD], 437 * USD + 1, USD)
    with pytest.raises(noir.NoirAbort, match="^Loaned price higher than asserted$"):
        noir.liquidate_public_price_check([437 * USD, USD], 437 * USD, USD - 1)
    with pytest.raises(noir.NoirAbort, match="^Price feed returned incorrect number of prices$"):
        noir.liquidate_public_price_check([437 * USD], 437 * USD, USD)
