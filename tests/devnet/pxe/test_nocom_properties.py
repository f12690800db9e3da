"""Properties of the nocom-v1 mode for random positions, the boundary included:
- calculate_ltv_health < 10^5 agrees with its closed form (the last division floors);
- a liquidation sent to the dev PXE (state level, no HTTP) reverts exactly when the contract's
  money, then its swapped public check, abort, with the same message, and otherwise leaves the
  notes, balances and utilization the money says."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devnet.pxe.core import ContractCall
from devnet.pxe.nocom_v1 import contracts as noir
from devnet.pxe.nocom_v1.state import NocomState
from devnet.pxe.rpc_errors import ExecutionError
from shared.pxe.fields import from_field, to_field

UNIT = 10**18
EPOCH = 1_960_000
prices = st.integers(1, 10**9)  # $0.0001 to $100 000 with 4 decimals
market_prices = st.integers(10**3, 10**9)  # from $0.10: values that survive the 10^14 scaling
amounts = st.integers(0, 10**6 * UNIT)


@settings(max_examples=300, deadline=None)
@given(collateral=amounts, debt=amounts, collateral_price=prices, debt_price=prices, threshold=st.integers(1, 10**5))
def test_health_below_the_threshold_is_its_closed_form(collateral: int, debt: int, collateral_price: int, debt_price: int,
                                                       threshold: int) -> None:
    health = noir.calculate_ltv_health(debt_price, debt, collateral_price, collateral, threshold)
    collateral_scaled = collateral * collateral_price // 10**4 // 10**14
    debt_scaled = debt * debt_price // 10**4 // 10**14
    assert (health < noir.LTV_THRESHOLD) == (debt_scaled > 0 and collateral_scaled * threshold // 10**4 < 10 * debt_scaled)


def expected_outcome(position: dict[str, int]) -> noir.PrivateLiquidation | str:
    """The contract, step by step: the private money, then _liquidate_public as liquidate_private calls it."""
    try:
        money = noir.liquidate_private_money(
            anchor_timestamp=position["now"], borrow_principal=position["principal"], borrow_epoch=position["loan_epoch"],
            collateral_amount=position["collateral"], amount_to_repay=position["repay"],
            asserted_collateral_token_price=position["asserted_c"], asserted_loaned_token_price=position["asserted_d"],
            liquidation_threshold=position["threshold"],
        )
        noir.liquidate_public_price_check([position["feed_c"], position["feed_d"]], position["asserted_d"], position["asserted_c"])
        noir.sub(position["principal"], position["repay"])  # the pool's total_borrowed, this escrow's principal alone
    except noir.NoirAbort as exc:
        return exc.message
    return money


def liquidate_on_the_dev_pxe(position: dict[str, int]) -> tuple[NocomState, dict[str, str], str | None]:
    state = NocomState()
    collateral, debt = state.create_token("ZEC"), state.create_token("USDC")
    feed = state.create_feed()["address"]
    pool = state.create_pool(collateral, debt, 75_000, position["threshold"], feed)
    state.set_feed_prices(feed, {collateral: position["feed_c"], debt: position["feed_d"]})
    escrow = state.create_escrow(pool, position["collateral"], position["principal"], position["loan_epoch"], True)["address"]
    liquidator = state.register_account(to_field(0xA11CE))
    state.mint(debt, liquidator, position["repay"])
    args = (from_field(liquidator), from_field(pool), position["repay"], 7)
    authwit = state.create_authwit(liquidator, pool, ContractCall("transfer_private_to_public", debt, args))
    call = ContractCall("liquidate", escrow, (position["repay"], 7, position["asserted_c"], position["asserted_d"]))
    tx = state.new_tx(liquidator, (call,), state.authwit_intents([authwit]))
    try:
        state.simulate_tx(tx, position["now"])
    except ExecutionError as exc:
        return state, {"escrow": escrow}, exc.message
    state.submit(tx)
    state.seal_block([tx])
    assert tx.status == "success", tx.error  # nothing moved between send and block
    return state, {"escrow": escrow, "pool": pool, "collateral": collateral, "debt": debt, "liquidator": liquidator}, None


anywhere = st.fixed_dictionaries({
    "now": st.integers(EPOCH * 900 - 900, EPOCH * 900 + 1_800),
    "loan_epoch": st.integers(EPOCH - 3, EPOCH + 1),
    "collateral": st.integers(0, 10**4 * UNIT), "principal": st.integers(0, 10**7 * UNIT),
    "repay": st.integers(0, 10**7 * UNIT), "threshold": st.integers(50_000, 100_000),
    "asserted_c": prices, "asserted_d": prices, "feed_c": prices, "feed_d": prices,
})


@st.composite
def near_the_boundary(draw: st.DrawFn) -> dict[str, int]:
    """A position whose health is near 10^5, a repay near half its debt, feed prices near what the swapped check allows."""
    asserted_c, asserted_d = draw(market_prices), draw(market_prices)
    collateral, threshold = draw(st.integers(UNIT, 10**4 * UNIT)), draw(st.integers(50_000, 100_000))
    principal = collateral * asserted_c * threshold // (asserted_d * draw(st.integers(95_000, 105_000)))
    return {
        "now": draw(st.integers(EPOCH * 900 - 900, EPOCH * 900 + 1_800)), "loan_epoch": draw(st.integers(EPOCH - 3, EPOCH + 1)),
        "collateral": collateral, "principal": principal, "threshold": threshold,
        "repay": draw(st.integers(0, principal // 2 + 2)),
        "asserted_c": asserted_c, "asserted_d": asserted_d,
        "feed_c": max(0, asserted_d + draw(st.integers(-2, 10**6))),  # the swapped check: feed_c >= asserted_d
        "feed_d": max(0, asserted_c - draw(st.integers(-2, 10**6))),  # and feed_d <= asserted_c
    }


positions = st.one_of(anywhere, near_the_boundary())


@settings(max_examples=300, deadline=None)
@given(position=positions)
def test_the_dev_pxe_accepts_exactly_what_the_contract_does(position: dict[str, int]) -> None:
    expected = expected_outcome(position)
    state, names, error = liquidate_on_the_dev_pxe(position)
    if isinstance(expected, str):
        assert error == expected
        return
    assert error is None
    escrow = state.world.escrows[names["escrow"]]
    assert (escrow.collateral.amount, escrow.loan.principal, escrow.loan.epoch) == (
        expected.remaining_collateral_amount, expected.remaining_loan_amount, expected.loan_epoch)
    assert state.world.tokens[names["collateral"]].private_balances[names["liquidator"]] == expected.liquidator_collateral_amount
    assert state.world.tokens[names["debt"]].public_balances[names["pool"]] == position["repay"]
    assert state.world.pools[names["pool"]].total_borrowed == position["principal"] - position["repay"]
