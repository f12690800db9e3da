"""The deployed lending protocol, jp4g/nocom-v1 (main@dc5ab6b), transcribed from its Noir contracts.

Each function names the contract file and function it transcribes; truncations are kept exactly
where the contract truncates (Noir's unsigned `/` floors). A u128 operation that would overflow or
underflow aborts the contract's call: NoirAbort here. Prices have 4 decimals (PRICE_BASE) and live
in the Aztec MockPriceFeed; thresholds are weighted with LTV_BASE and compared with LTV_THRESHOLD,
so they are in base 10^5 (80000 = 80 %).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from shared.feeds.kinds import AZTEC_FEED
from shared.protocols.common import HF_CONTEXT, Liquidation, ReadShapes

NAME = "nocom-v1"
PRICE_FEED = AZTEC_FEED  # MockPriceFeed through the PXE (price_oracle/src/main.nr)
PRICE_DECIMALS = 4
THRESHOLD_BASE = 100_000
# The anchor block a private tx is proven against is older than the wall clock; liquidations are
# evaluated this many seconds in the past so the contract's interest is never below ours.
ANCHOR_LAG = 300

# --- pool_common/src/constants.nr --------------------------------------------------------------
EPOCH_LENGTH = 900
SECONDS_PER_YEAR = 31_536_000
BORROW_INTEREST = 500  # read as tenths of a percent by apy_to_rate_per_second: 50 % a year
LIQUIDATION_BONUS = 10
PROTOCOL_LIQUIDATION_FEE = 10  # 0 on the feat/tee-liquidator branch: only the fee's split changes
LTV_THRESHOLD = 10**5
WAD = 10**18
BONUS_BASE = 100
LTV_RATIO_BASE = 10**14
LTV_BASE = 10**4
PRICE_BASE = 10**4
INTEREST_BASE = 10**9
U128_MAX = 2**128 - 1
MAX_FEED_ASSETS_PER_CALL = 4  # price_oracle/src/main.nr: MAX_ASSETS_PER_CALL

# private_escrow/src/types/config_note.nr: ConfigNote [owner, holder_commitment, pool, collateral_token,
# loaned_token, randomness]; pool_common/src/types/config.nr: Config [admin, liquidator_pubkey_x,
# liquidator_pubkey_y, price_oracle, treasury, collateral_token, loaned_token, max_ltv, liquidation_threshold];
# the aztec-standards Token has no get_symbol: `symbol()` is a public view (a FieldCompressedString).
READS = ReadShapes(escrow_config_fields=6, escrow_pool_index=2, pool_config_fields=9, pool_collateral_index=5,
                   pool_debt_index=6, pool_max_ltv_index=7, pool_threshold_index=8,
                   symbol_function="symbol", symbol_is_view=True)
POOL_FEED_INDEX = 3

# --- revert messages (lending_pool/src/main.nr: liquidate_private, _liquidate_public) ----------
POSITION_HEALTHY = "Position healthy, cannot liquidate"
OVER_CLOSE_FACTOR = "Cannot repay more than 50% of total borrowed in liquidation"
COLLATERAL_PRICE_LOWER = "Collateral price lower than asserted"
LOANED_PRICE_HIGHER = "Loaned price higher than asserted"
PRICE_MISMATCH_REASONS = frozenset({COLLATERAL_PRICE_LOWER, LOANED_PRICE_HIGHER})


class NoirAbort(Exception):
    """A checked u128/u64 operation failed, or a division by zero: the contract's call aborts."""


def u128(value: int) -> int:
    if not 0 <= value <= U128_MAX:
        raise NoirAbort("attempt to compute a u128 out of range")
    return value


# --- pool_common/src/math.nr -------------------------------------------------------------------

def apy_to_rate_per_second(apy: int) -> int:
    """math.nr: apy_to_rate_per_second (apy in tenths of a percent)."""
    return u128(apy * WAD) // (1000 * SECONDS_PER_YEAR)


def compute_multiplier(rate_per_second: int, dt: int) -> int:
    """math.nr: compute_multiplier, a binomial approximation of (1 + rate)^dt in INTEREST_BASE."""
    if dt == 0:
        return INTEREST_BASE
    exp_minus_one = dt - 1
    exp_minus_two = dt - 2 if dt > 2 else 0
    base_power_two = u128(rate_per_second * rate_per_second) // WAD
    base_power_three = u128(base_power_two * rate_per_second) // WAD
    temp = u128(dt * exp_minus_one)
    second_term = u128(temp * base_power_two) // 2
    third_term = u128(u128(temp * exp_minus_two) * base_power_three) // 6
    offset = u128(u128(dt * rate_per_second) + second_term + third_term) // (WAD // INTEREST_BASE)
    return u128(INTEREST_BASE + offset)


def calculate_interest(principal: int, start_epoch: int, current_epoch: int,
                       epoch_duration: int = EPOCH_LENGTH, interest_rate: int = BORROW_INTEREST) -> int:
    """math.nr: calculate_interest (0 unless current_epoch > start_epoch)."""
    if current_epoch <= start_epoch:
        return 0
    dt = current_epoch * epoch_duration - start_epoch * epoch_duration
    multiplier = compute_multiplier(apy_to_rate_per_second(interest_rate), dt)
    return u128(principal * (multiplier - INTEREST_BASE)) // INTEREST_BASE


def calculate_ltv_health(loaned_asset_price: int, loaned_asset_amount: int, collateral_asset_price: int,
                         collateral_asset_amount: int, max_ltv: int) -> int:
    """math.nr: calculate_ltv_health (the debt first); U128_MAX when the debt is worth nothing."""
    loan_value = u128(loaned_asset_amount * loaned_asset_price) // PRICE_BASE
    collateral_value = u128(collateral_asset_amount * collateral_asset_price) // PRICE_BASE
    collateral_value_scaled = collateral_value // LTV_RATIO_BASE
    loan_value_scaled = loan_value // LTV_RATIO_BASE
    if loan_value_scaled == 0:
        return U128_MAX
    weighted_collateral_value = u128(collateral_value_scaled * max_ltv) // LTV_BASE
    return u128(weighted_collateral_value * LTV_BASE) // loan_value_scaled


def calculate_liquidation(debt_amount: int, debt_price: int, collateral_price: int,
                          protocol_fee: int = PROTOCOL_LIQUIDATION_FEE) -> tuple[int, int, int]:
    """math.nr: calculate_liquidation -> (total_collateral_seized, liquidator_collateral_amount, protocol_fee)."""
    collateral_amount, total_liquidation_bonus, fee = _liquidation_parts(debt_amount, debt_price, collateral_price,
                                                                          protocol_fee)
    total_collateral_seized = u128(collateral_amount + total_liquidation_bonus)
    return total_collateral_seized, total_collateral_seized - fee, fee


def _liquidation_parts(debt_amount: int, debt_price: int, collateral_price: int, protocol_fee: int) -> tuple[int, int, int]:
    """math.nr: calculate_liquidation steps 1-4 -> (collateral_amount, total_liquidation_bonus, protocol_fee)."""
    if collateral_price == 0:
        raise NoirAbort("attempt to divide by zero")
    debt_value = u128(debt_amount * debt_price) // PRICE_BASE
    collateral_amount = u128(debt_value * PRICE_BASE) // collateral_price
    total_liquidation_bonus = u128(collateral_amount * LIQUIDATION_BONUS) // BONUS_BASE
    return collateral_amount, total_liquidation_bonus, u128(total_liquidation_bonus * protocol_fee) // BONUS_BASE


# --- pool_common/src/time.nr -------------------------------------------------------------------

def get_next_epoch(anchor_timestamp: int) -> int:
    """time.nr: get_next_epoch = ceil(anchor_timestamp / EPOCH_LENGTH)."""
    return (anchor_timestamp + EPOCH_LENGTH - 1) // EPOCH_LENGTH


# --- the module interface the suite uses (shared/protocols/__init__.py) -----------------------

def next_epoch(now: int) -> int:
    return get_next_epoch(now)


def interest_offset(start_epoch: int, end_epoch: int) -> int:
    """calculate_interest(principal) == principal * offset // INTEREST_BASE, for every principal."""
    if end_epoch <= start_epoch:
        return 0
    return compute_multiplier(apy_to_rate_per_second(BORROW_INTEREST), (end_epoch - start_epoch) * EPOCH_LENGTH) - INTEREST_BASE


def total_debt(principal: int, debt_epoch: int, now: int) -> int:
    """lending_pool/src/main.nr: liquidate_private steps 2-4 (interest up to the next epoch)."""
    return u128(principal + calculate_interest(principal, debt_epoch, get_next_epoch(now)))


def is_liquidatable(collateral_amount: int, collateral_price: int, threshold: int, debt: int, debt_price: int) -> bool:
    """liquidate_private step 6: calculate_ltv_health(...) < LTV_THRESHOLD; an abort is not liquidatable."""
    try:
        return calculate_ltv_health(debt_price, debt, collateral_price, collateral_amount, threshold) < LTV_THRESHOLD
    except NoirAbort:
        return False


def liquidation_test(collateral_price: int, debt_price: int) -> Callable[[int, int, int], bool]:
    """`is_liquidatable` with the prices bound. health < 10^5 reduces to W < 10 * lvs, where
    W = (cvs * threshold) // LTV_BASE (the health's last division floors: a*1e4 // b < 1e5 iff a < 10b)."""
    def test(collateral_amount: int, threshold: int, debt: int) -> bool:
        loan = debt * debt_price
        collateral = collateral_amount * collateral_price
        if loan > U128_MAX or collateral > U128_MAX:
            return False  # the contract aborts: nothing can be liquidated
        lvs = loan // PRICE_BASE // LTV_RATIO_BASE
        return lvs > 0 and (collateral // PRICE_BASE // LTV_RATIO_BASE) * threshold // LTV_BASE < 10 * lvs

    return test


def ratio_bound(collateral_amount: int, threshold: int, debt: int, debt_price_floor: int) -> tuple[int, int] | None:
    """(num, den): liquidatable at prices (cp, dp >= debt_price_floor) only if cp / dp < num / den; None: always.

    calculate_ltv_health's floors lose less than one unit each: cvs >= c*cp/1e18 - 1, W >= cvs*thr/1e4 - 1,
    lvs <= d*dp/1e18, so W < 10 lvs implies c*cp*thr/1e22 - 11 < 10 d dp/1e18, that is
    cp/dp < (d*1e5*dp + 11e22) / (dp * c * thr) <= (d*1e5*floor + 11e22) / (floor * c * thr)."""
    if collateral_amount * threshold <= 0 or debt_price_floor <= 0:
        return None
    slack = (threshold // LTV_BASE + 2) * PRICE_BASE * LTV_RATIO_BASE * LTV_BASE  # thr/1e4 + 1 <= thr//1e4 + 2
    return (debt * LTV_THRESHOLD * debt_price_floor + slack), debt_price_floor * collateral_amount * threshold


def health_factor(collateral_amount: int, collateral_price: int, threshold: int, debt: int, debt_price: int) -> Decimal | None:
    """The contract's own health, over LTV_THRESHOLD; None (Infinity) when it is U128_MAX or aborts."""
    try:
        health = calculate_ltv_health(debt_price, debt, collateral_price, collateral_amount, threshold)
    except NoirAbort:
        return None
    return None if health == U128_MAX else HF_CONTEXT.divide(Decimal(health), Decimal(LTV_THRESHOLD))


def seizure(repay: int, collateral_price: int, debt_price: int) -> Liquidation:
    """liquidate_private step 8: calculate_liquidation(repay, asserted debt price, asserted collateral price)."""
    collateral, bonus, fee = _liquidation_parts(repay, debt_price, collateral_price, PROTOCOL_LIQUIDATION_FEE)
    seized = u128(collateral + bonus)
    return Liquidation(repay=repay, seized=seized, bonus=bonus, fee=fee, liquidator_receives=seized - fee)


def close_factor_cap(debt: int) -> int:
    """liquidate_private step 7: assert(amount_to_repay * 2 <= total_borrowed)."""
    return debt // 2


def max_repay(collateral_amount: int, collateral_price: int, debt: int, debt_price: int) -> int:
    """The largest repay with repay * 2 <= debt whose seizure fits the collateral note (step 10 would
    underflow otherwise). Closed form of calculate_liquidation's three floors, inverted one by one."""
    cap = close_factor_cap(debt)
    if cap <= 0 or collateral_price <= 0 or collateral_amount < 0:
        return 0
    if debt_price <= 0:
        return cap
    # Largest c with c + c * 10 // 100 <= collateral.
    c = collateral_amount * BONUS_BASE // (BONUS_BASE + LIQUIDATION_BONUS)
    while c + 1 + (c + 1) * LIQUIDATION_BONUS // BONUS_BASE <= collateral_amount:
        c += 1
    while c > 0 and c + c * LIQUIDATION_BONUS // BONUS_BASE > collateral_amount:
        c -= 1
    value = ((c + 1) * collateral_price - 1) // PRICE_BASE  # largest v with v * PRICE_BASE // cp <= c
    return min(cap, ((value + 1) * PRICE_BASE - 1) // debt_price)  # largest r with r * dp // PRICE_BASE <= v


def price_check_passes(feed_collateral: int, feed_debt: int, asserted_collateral: int, asserted_debt: int) -> bool:
    """lending_pool/src/main.nr: _liquidate_public, called by liquidate_private with the asserted prices
    in SWAPPED order, so the feed's collateral price is compared with the asserted DEBT price."""
    return feed_collateral >= asserted_debt and feed_debt <= asserted_collateral


def loan_after_liquidation(debt: int, repay: int, now: int) -> tuple[int, int]:
    """liquidate_private step 9: LoanNote(total_borrowed - repay, next_epoch - 1)."""
    return debt - repay, get_next_epoch(now) - 1
