"""nocom-v1's money math, transcribed line by line from its Noir (jp4g/nocom-v1 main@dc5ab6b,
packages/contracts/src/), each function named after the Noir function and file it transcribes.

The development PXE's own transcription, written independently of shared/protocols/nocom_v1.py
(the product's): property tests compare the two, so neither may borrow from the other.
Noir's u128/u64 `+ - *` are checked and abort the call; `/` floors and aborts on zero. Every
operation below goes through the checked helpers, so a value the contract cannot hold aborts
here where it aborts there, with the Noir runtime's wording (NoirAbort).
"""

from __future__ import annotations

from dataclasses import dataclass

# --- pool_common/src/constants.nr ----------------------------------------------------------
EPOCH_LENGTH = 900
SECONDS_PER_YEAR = 60 * 60 * 24 * 365
BORROW_INTEREST = 500  # "5% apy" says its comment, but apy_to_rate_per_second reads tenths: 50 % a year
LIQUIDATION_BONUS = 10
PROTOCOL_LIQUIDATION_FEE = 10  # main; the feat/tee-liquidator branch sets 0
LTV_THRESHOLD = 10**5
WAD = 10**18
BONUS_BASE = 100
LTV_RATIO_BASE = 10**14
LTV_BASE = 10**4
PRICE_BASE = 10**4
INTEREST_BASE = 10**9
U128_MAX = 2**128 - 1
U64_BITS, U128_BITS = 64, 128

# --- the contracts' own assert messages ---------------------------------------------------
POSITION_HEALTHY = "Position healthy, cannot liquidate"
OVER_CLOSE_FACTOR = "Cannot repay more than 50% of total borrowed in liquidation"
WRONG_PRICE_COUNT = "Price feed returned incorrect number of prices"
COLLATERAL_PRICE_LOWER = "Collateral price lower than asserted"
LOANED_PRICE_HIGHER = "Loaned price higher than asserted"

# --- the Noir runtime's failures of checked integer arithmetic ------------------------------
ADD_OVERFLOW = "attempt to add with overflow"
SUBTRACT_OVERFLOW = "attempt to subtract with overflow"
MULTIPLY_OVERFLOW = "attempt to multiply with overflow"
DIVIDE_BY_ZERO = "attempt to divide by zero"


class NoirAbort(Exception):
    """A failed assert or checked operation: the contract call aborts with this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def require(condition: bool, message: str) -> None:
    """Noir's assert(condition, message)."""
    if not condition:
        raise NoirAbort(message)


def add(a: int, b: int, bits: int = U128_BITS) -> int:
    result = a + b
    require(result < 1 << bits, ADD_OVERFLOW)
    return result


def sub(a: int, b: int) -> int:
    require(b <= a, SUBTRACT_OVERFLOW)
    return a - b


def mul(a: int, b: int, bits: int = U128_BITS) -> int:
    result = a * b
    require(result < 1 << bits, MULTIPLY_OVERFLOW)
    return result


def div(a: int, b: int) -> int:
    require(b != 0, DIVIDE_BY_ZERO)
    return a // b


# --- pool_common/src/time.nr --------------------------------------------------------------

def get_next_epoch(anchor_timestamp: int, epoch_length: int = EPOCH_LENGTH) -> int:
    """time.nr: get_next_epoch, ceil(anchor_timestamp / epoch_length) in u64 (the anchor block's time)."""
    return div(sub(add(anchor_timestamp, epoch_length, U64_BITS), 1), epoch_length)


# --- pool_common/src/math.nr --------------------------------------------------------------

def apy_to_rate_per_second(apy: int) -> int:
    """math.nr: apy_to_rate_per_second; apy in tenths of a percent, the rate in WAD."""
    numerator = mul(apy, WAD)
    denominator = mul(1000, SECONDS_PER_YEAR)
    return div(numerator, denominator)


def compute_multiplier(rate_per_second: int, dt: int) -> int:
    """math.nr: compute_multiplier, (1 + rate)^dt by a three-term binomial, in INTEREST_BASE."""
    diff = div(WAD, INTEREST_BASE)
    res = INTEREST_BASE
    if dt != 0:
        exp_minus_one = sub(dt, 1)  # u64, then `as u128`
        exp_minus_two = sub(dt, 2) if dt > 2 else 0
        rate = rate_per_second
        base_power_two = div(mul(rate, rate), WAD)
        base_power_three = div(mul(base_power_two, rate), WAD)
        temp = mul(dt, exp_minus_one)
        second_term = div(mul(temp, base_power_two), 2)
        third_term = div(mul(mul(temp, exp_minus_two), base_power_three), 6)
        offset = div(add(add(mul(dt, rate), second_term), third_term), diff)
        res = add(INTEREST_BASE, offset)
    return res


def calculate_interest(principal: int, start_epoch: int, current_epoch: int, epoch_duration: int, interest_rate: int) -> int:
    """math.nr: calculate_interest, the interest (not principal + interest); 0 unless current_epoch > start_epoch."""
    rate_per_second = apy_to_rate_per_second(interest_rate)
    interest = 0
    if current_epoch > start_epoch:
        start_time = mul(start_epoch, epoch_duration, U64_BITS)
        current_time = mul(current_epoch, epoch_duration, U64_BITS)
        dt = sub(current_time, start_time)
        multiplier = compute_multiplier(rate_per_second, dt)
        interest = div(mul(principal, sub(multiplier, INTEREST_BASE)), INTEREST_BASE)
    return interest


def calculate_ltv_health(
    loaned_asset_price: int, loaned_asset_amount: int, collateral_asset_price: int, collateral_asset_amount: int, max_ltv: int
) -> int:
    """math.nr: calculate_ltv_health (the debt first!); U128_MAX when the debt scales to 0."""
    loan_value = div(mul(loaned_asset_amount, loaned_asset_price), PRICE_BASE)
    collateral_value = div(mul(collateral_asset_amount, collateral_asset_price), PRICE_BASE)
    collateral_value_scaled = div(collateral_value, LTV_RATIO_BASE)
    loan_value_scaled = div(loan_value, LTV_RATIO_BASE)
    if loan_value_scaled == 0:
        return U128_MAX
    weighted_collateral_value = div(mul(collateral_value_scaled, max_ltv), LTV_BASE)
    return div(mul(weighted_collateral_value, LTV_BASE), loan_value_scaled)


def calculate_liquidation(
    debt_amount: int, debt_price: int, collateral_price: int, protocol_liquidation_fee: int = PROTOCOL_LIQUIDATION_FEE
) -> tuple[int, int, int]:
    """math.nr: calculate_liquidation -> (total_collateral_seized, liquidator_collateral_amount, protocol_fee).
    The debt's value is floored to the price grid before it is divided by the collateral price."""
    debt_value = div(mul(debt_amount, debt_price), PRICE_BASE)
    collateral_amount = div(mul(debt_value, PRICE_BASE), collateral_price)
    total_liquidation_bonus = div(mul(collateral_amount, LIQUIDATION_BONUS), BONUS_BASE)
    protocol_fee = div(mul(total_liquidation_bonus, protocol_liquidation_fee), BONUS_BASE)
    total_collateral_seized = add(collateral_amount, total_liquidation_bonus)
    liquidator_collateral_amount = sub(total_collateral_seized, protocol_fee)
    return total_collateral_seized, liquidator_collateral_amount, protocol_fee


# --- lending_pool/src/main.nr: the money of a liquidation ---------------------------------

@dataclass(frozen=True)
class PrivateLiquidation:
    """What liquidate_private computes before it writes the notes and moves the tokens."""

    next_epoch: int
    total_borrowed: int
    ltv_health: int
    total_collateral_seized: int
    liquidator_collateral_amount: int
    protocol_fee: int
    remaining_loan_amount: int
    loan_epoch: int  # written into the new loan note: next_epoch - 1
    remaining_collateral_amount: int


def liquidate_private_money(
    *, anchor_timestamp: int, borrow_principal: int, borrow_epoch: int, collateral_amount: int, amount_to_repay: int,
    asserted_collateral_token_price: int, asserted_loaned_token_price: int, liquidation_threshold: int,
    protocol_liquidation_fee: int = PROTOCOL_LIQUIDATION_FEE,
) -> PrivateLiquidation:
    """lending_pool/src/main.nr: liquidate_private steps 2-10 (the notes' values; not the transfer)."""
    next_epoch = get_next_epoch(anchor_timestamp, EPOCH_LENGTH)
    borrow_interest = calculate_interest(borrow_principal, borrow_epoch, next_epoch, EPOCH_LENGTH, BORROW_INTEREST)
    total_borrowed = add(borrow_principal, borrow_interest)
    ltv_health = calculate_ltv_health(
        asserted_loaned_token_price, total_borrowed, asserted_collateral_token_price, collateral_amount, liquidation_threshold
    )
    require(ltv_health < LTV_THRESHOLD, POSITION_HEALTHY)
    require(mul(amount_to_repay, 2) <= total_borrowed, OVER_CLOSE_FACTOR)
    seized, to_liquidator, fee = calculate_liquidation(
        amount_to_repay, asserted_loaned_token_price, asserted_collateral_token_price, protocol_liquidation_fee
    )
    remaining_loan_amount = sub(total_borrowed, amount_to_repay)
    current_epoch = sub(next_epoch, 1)
    remaining_collateral_amount = sub(collateral_amount, seized)
    return PrivateLiquidation(
        next_epoch=next_epoch, total_borrowed=total_borrowed, ltv_health=ltv_health, total_collateral_seized=seized,
        liquidator_collateral_amount=to_liquidator, protocol_fee=fee, remaining_loan_amount=remaining_loan_amount,
        loan_epoch=current_epoch, remaining_collateral_amount=remaining_collateral_amount,
    )


def liquidate_public_price_check(
    feed_prices: list[int], asserted_collateral_token_price: int, asserted_loaned_token_price: int
) -> None:
    """lending_pool/src/main.nr: _liquidate_public step 1, in the parameter order it DECLARES.
    Its only caller, liquidate_private step 12, passes (asserted loaned price, asserted collateral price):
    call it as the contract does and the check becomes feed[collateral] >= asserted debt price and
    feed[debt] <= asserted collateral price."""
    require(len(feed_prices) == 2, WRONG_PRICE_COUNT)
    collateral_price = feed_prices[0]
    require(collateral_price >= asserted_collateral_token_price, COLLATERAL_PRICE_LOWER)
    loaned_price = feed_prices[1]
    require(loaned_price <= asserted_loaned_token_price, LOANED_PRICE_HIGHER)
