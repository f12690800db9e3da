"""The engine's fast evaluator against the development PXE's contract rules (devnet/pxe/protocol.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devnet.pxe.reference import contracts as protocol
from services.liquidation_engine.planning.evaluate import InterestOffsets, in_priority_order, scan
from shared.positions import Position
from shared.protocols import reference

E18 = 10**18
NOW = 1_750_000_000
LIQUIDATOR = "0x" + "aa" * 32
POOL = "0x" + "bb" * 32
DEBT_TOKEN = "0x" + "cc" * 32
COLLATERAL_TOKEN = "0x" + "dd" * 32

amounts = st.one_of(st.integers(0, 10**6), st.integers(0, 10**30))
prices = st.one_of(st.integers(1, 10**4), st.integers(1, 10**15))
thresholds = st.integers(1, 10_000)
epochs_back = st.integers(-5, 40_000)  # loans from the future (no interest) up to ~1 year old


def tracked(collateral: int, principal: int, loan_epoch: int, threshold: int, escrow: str = "0x01") -> Position:
    return Position(escrow, POOL, "BTC", COLLATERAL_TOKEN, collateral, "USDC", DEBT_TOKEN, principal, loan_epoch,
                    threshold, 0, 0, 1)


@settings(max_examples=400, deadline=None)
@given(amounts, amounts, epochs_back, thresholds, prices, prices)
def test_liquidatable_equals_the_contract_check(collateral: int, principal: int, back: int, threshold: int,
                                                collateral_price: int, debt_price: int) -> None:
    loan_epoch = max(0, reference.next_epoch(NOW) - back)
    found, checked = scan([tracked(collateral, principal, loan_epoch, threshold)], collateral_price, debt_price, NOW,
                          InterestOffsets(reference))
    contract_debt = protocol.owed(protocol.LoanNote(LIQUIDATOR, 0, principal, loan_epoch), NOW)
    contract_says = protocol.is_unhealthy(collateral, collateral_price, threshold, contract_debt, debt_price)
    assert checked == 1
    assert bool(found) == contract_says
    assert InterestOffsets(reference).total_debt(principal, loan_epoch, NOW) == reference.total_debt(principal, loan_epoch, NOW) == contract_debt
    if found:
        assert found[0].debt == contract_debt


def contract_accepts(collateral: int, principal: int, loan_epoch: int, threshold: int, repay: int,
                     collateral_price: int, debt_price: int) -> str | None:
    """None when escrow.liquidate would accept `repay`, else its revert reason."""
    escrow = protocol.Escrow("0x01", POOL, protocol.CollateralNote(LIQUIDATOR, 1, collateral),
                             protocol.LoanNote(LIQUIDATOR, 2, principal, loan_epoch))
    pool = protocol.Pool(POOL, COLLATERAL_TOKEN, DEBT_TOKEN, 7500, threshold)
    token = protocol.Token(DEBT_TOKEN, "USDC", {LIQUIDATOR: 10**40})
    intent = protocol.AuthwitIntent(LIQUIDATOR, POOL, "transfer_private_to_public", DEBT_TOKEN,
                                    (int(LIQUIDATOR, 16), int(POOL, 16), repay, 7))
    try:
        protocol.check_liquidation(escrow, pool, token, LIQUIDATOR, repay, 7, collateral_price, debt_price,
                                   collateral_price, debt_price, {intent}, set(), NOW)
    except protocol.Revert as exc:
        return exc.reason
    return None


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**26), st.integers(1, 10**26), st.integers(0, 3000), thresholds, prices, prices)
def test_chosen_repay_is_accepted_and_the_largest_allowed(collateral: int, principal: int, back: int, threshold: int,
                                                          collateral_price: int, debt_price: int) -> None:
    loan_epoch = reference.next_epoch(NOW) - back
    found, _ = scan([tracked(collateral, principal, loan_epoch, threshold)], collateral_price, debt_price, NOW,
                    InterestOffsets(reference))
    if not found:
        return
    finding = found[0]
    outcome = finding.repay()
    debt = finding.debt
    assert outcome.repay <= debt // 2
    assert outcome.seized <= collateral
    assert outcome == reference.seizure(outcome.repay, collateral_price, debt_price)
    if outcome.repay > 0:
        assert contract_accepts(collateral, principal, loan_epoch, threshold, outcome.repay, collateral_price, debt_price) is None
    # One more unit breaks a limit: the close factor or the collateral.
    assert contract_accepts(collateral, principal, loan_epoch, threshold, outcome.repay + 1, collateral_price,
                            debt_price) in (protocol.OVER_CLOSE_FACTOR, protocol.INSUFFICIENT_COLLATERAL)


def test_most_undercollateralised_then_largest_first() -> None:
    epoch = reference.next_epoch(NOW)
    positions = [
        tracked(E18, 50_000 * E18, epoch, 8000, "0xa"),  # hf 0.96 at 60 000
        tracked(E18, 55_000 * E18, epoch, 8000, "0xb"),  # hf ~0.87
        tracked(2 * E18, 110_000 * E18, epoch, 8000, "0xc"),  # same hf as 0xb, twice the size
        tracked(E18, 40_000 * E18, epoch, 8000, "0xd"),  # healthy
    ]
    found, checked = scan(positions, 60_000 * 10**8, 10**8, NOW, InterestOffsets(reference))
    assert checked == 4
    assert [f.position.escrow for f in in_priority_order(found)] == ["0xc", "0xb", "0xa"]
    assert found[0].health_factor_text == "0.9600"


def test_interest_offsets_follow_the_epoch() -> None:
    offsets = InterestOffsets(reference)
    start = reference.next_epoch(NOW) - 2000
    for now in (NOW, NOW + 900, NOW + 86_400 * 30):
        for principal in (1, 10**18 + 7, 123_456_789 * 10**18):
            assert offsets.total_debt(principal, start, now) == reference.total_debt(principal, start, now)
