"""The lending protocols the suite can follow, one module each, chosen by the PROTOCOL setting.

`reference` is our own model (docs/money-math.md, reference); `nocom-v1` the deployed contracts (docs/money-math.md, nocom-v1).
Everything that depends on the protocol lives in its module; the rest of the code asks the module
through this interface and never branches on the protocol's name.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Literal, Protocol, cast

from shared.feeds.kinds import FeedKind
from shared.protocols import nocom_v1, reference
from shared.protocols.common import Liquidation, ReadShapes, format_health_factor

__all__ = ["PROTOCOL_NAMES", "LendingRules", "Liquidation", "ProtocolName", "ReadShapes", "format_health_factor",
           "rules_for"]

ProtocolName = Literal["reference", "nocom-v1"]


class LendingRules(Protocol):
    NAME: str
    PRICE_FEED: FeedKind  # where the protocol reads its prices
    PRICE_DECIMALS: int
    THRESHOLD_BASE: int
    INTEREST_BASE: int
    EPOCH_LENGTH: int
    ANCHOR_LAG: int  # seconds a proof's anchor block may trail the wall clock
    POSITION_HEALTHY: str
    OVER_CLOSE_FACTOR: str
    PRICE_MISMATCH_REASONS: frozenset[str]
    READS: ReadShapes

    def next_epoch(self, now: int) -> int: ...
    def interest_offset(self, start_epoch: int, end_epoch: int) -> int: ...
    def total_debt(self, principal: int, debt_epoch: int, now: int) -> int: ...
    def is_liquidatable(self, collateral_amount: int, collateral_price: int, threshold: int, debt: int,
                        debt_price: int) -> bool: ...
    def liquidation_test(self, collateral_price: int, debt_price: int) -> Callable[[int, int, int], bool]: ...
    def ratio_bound(self, collateral_amount: int, threshold: int, debt: int,
                    debt_price_floor: int) -> tuple[int, int] | None: ...
    def health_factor(self, collateral_amount: int, collateral_price: int, threshold: int, debt: int,
                      debt_price: int) -> Decimal | None: ...
    def seizure(self, repay: int, collateral_price: int, debt_price: int) -> Liquidation: ...
    def close_factor_cap(self, debt: int) -> int: ...
    def max_repay(self, collateral_amount: int, collateral_price: int, debt: int, debt_price: int) -> int: ...
    def price_check_passes(self, feed_collateral: int, feed_debt: int, asserted_collateral: int,
                           asserted_debt: int) -> bool: ...
    def loan_after_liquidation(self, debt: int, repay: int, now: int) -> tuple[int, int]: ...


_MODULES = {reference.NAME: reference, nocom_v1.NAME: nocom_v1}
PROTOCOL_NAMES: tuple[str, ...] = tuple(_MODULES)


def rules_for(name: str) -> LendingRules:
    """The protocol module for a PROTOCOL value; KeyError for an unknown one (settings validate first)."""
    return cast(LendingRules, _MODULES[name])
