"""Under PROTOCOL=nocom-v1 the engine decides exactly what the deployed contract accepts.

The engine's decision (scan with shared/protocols/nocom_v1.py) and its repay (Finding.repay) are
checked against the development PXE's own, independent transcription of the Noir contracts
(devnet/pxe/nocom_contracts.py): a position the engine liquidates is accepted with the engine's
repay and refused with one unit more; a position it leaves alone is refused as healthy.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devnet.pxe.nocom_v1 import contracts as noir
from services.liquidation_engine.planning.evaluate import InterestOffsets, scan
from shared.positions import Position
from shared.protocols import nocom_v1

UNIT = 10**18
EPOCH = 1_960_000
prices = st.integers(10**3, 10**9)  # $0.10 to $100 000, 4 decimals


def accepted(position: Position, now: int, repay: int, cp: int, dp: int) -> str | None:
    """None when liquidate_private's money accepts `repay` at these asserted prices, else its message."""
    try:
        noir.liquidate_private_money(
            anchor_timestamp=now, borrow_principal=position.debt_principal, borrow_epoch=position.debt_epoch,
            collateral_amount=position.collateral_amount, amount_to_repay=repay,
            asserted_collateral_token_price=cp, asserted_loaned_token_price=dp,
            liquidation_threshold=position.liquidation_threshold_bps,
        )
    except noir.NoirAbort as exc:
        return exc.message
    return None


@st.composite
def positions(draw: st.DrawFn) -> tuple[Position, int, int, int]:
    cp, dp = draw(prices), draw(prices)
    collateral, threshold = draw(st.integers(UNIT, 10**4 * UNIT)), draw(st.integers(50_000, 100_000))
    health = draw(st.one_of(st.integers(90_000, 110_000), st.integers(99_990, 100_010)))  # many at the boundary
    principal = collateral * cp * threshold // (dp * health)
    epoch = draw(st.integers(EPOCH - 3, EPOCH + 1))
    now = draw(st.integers(EPOCH * 900 - 900, EPOCH * 900 + 1_800))
    position = Position("0x01", "0x02", "ZEC", "0x03", collateral, "USDC", "0x04", principal, epoch, threshold, 0, 0, 1)
    return position, now, cp, dp


@settings(max_examples=600, deadline=None)
@given(case=positions())
def test_the_engine_liquidates_exactly_what_the_contract_accepts_with_the_largest_repay(
        case: tuple[Position, int, int, int]) -> None:
    position, now, cp, dp = case
    # The engine evaluates at now - ANCHOR_LAG; the contract's anchor is that moment (the oldest it can be).
    anchor = now - nocom_v1.ANCHOR_LAG
    found, _ = scan([position], cp, dp, now, InterestOffsets(nocom_v1))
    if not found:  # never a liquidatable position missed
        assert accepted(position, anchor, 0, cp, dp) == "Position healthy, cannot liquidate"
        return
    repay = found[0].repay().repay
    assert accepted(position, anchor, repay, cp, dp) is None
    assert accepted(position, anchor, repay + 1, cp, dp) is not None  # the largest the contract takes
    assert found[0].debt == noir.add(position.debt_principal, noir.calculate_interest(
        position.debt_principal, position.debt_epoch, noir.get_next_epoch(anchor), 900, 500))


@settings(max_examples=300, deadline=None)
@given(case=positions())
def test_a_later_anchor_never_turns_the_engines_choice_healthy(case: tuple[Position, int, int, int]) -> None:
    """Proofs anchored anywhere between now - ANCHOR_LAG and now accept the engine's liquidation."""
    position, now, cp, dp = case
    found, _ = scan([position], cp, dp, now, InterestOffsets(nocom_v1))
    if found:
        repay = found[0].repay().repay
        for anchor in (now - nocom_v1.ANCHOR_LAG, now - nocom_v1.ANCHOR_LAG // 2, now):
            assert accepted(position, anchor, repay, cp, dp) is None
