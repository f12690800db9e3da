"""Fast, exact evaluation of positions at given prices with the protocol's own rules, and their order.

The interest offset of a loan depends only on (debtEpoch, next_epoch), not on the principal:
    total_debt = principal + principal * offset // INTEREST_BASE
in both protocols, so it is computed once per debt epoch through the protocol module and reused
for every position: identical to the module's total_debt while a scan stays a few integer operations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from shared.positions import Position
from shared.protocols import LendingRules, Liquidation, format_health_factor


class InterestOffsets:
    """Interest offsets by debt epoch for one `next_epoch`; the table is rebuilt when the epoch turns."""

    def __init__(self, rules: LendingRules) -> None:
        self.rules = rules
        self._end_epoch = -1
        self._table: dict[int, int] = {}

    def table(self, end_epoch: int) -> dict[int, int]:
        if end_epoch != self._end_epoch:
            self._end_epoch = end_epoch
            self._table = {}
        return self._table

    def offset(self, debt_epoch: int, end_epoch: int) -> int:
        table = self.table(end_epoch)
        value = table.get(debt_epoch)
        if value is None:
            value = table[debt_epoch] = self.rules.interest_offset(debt_epoch, end_epoch)
        return value

    def total_debt(self, principal: int, debt_epoch: int, now: int) -> int:
        """The debt the contract computes for a transaction proven at `now`."""
        return principal + principal * self.offset(debt_epoch, self.rules.next_epoch(now)) // self.rules.INTEREST_BASE


@dataclass(frozen=True, slots=True)
class Finding:
    """A position found liquidatable at these prices (the feed's, which a liquidation asserts)."""

    position: Position
    debt: int
    collateral_price: int
    debt_price: int
    rules: LendingRules

    @property
    def health_factor(self) -> Decimal | None:
        p = self.position
        return self.rules.health_factor(p.collateral_amount, self.collateral_price, p.liquidation_threshold_bps,
                                        self.debt, self.debt_price)

    @property
    def health_factor_text(self) -> str:
        return format_health_factor(self.health_factor)

    def priority(self) -> tuple[Fraction, int, str]:
        """Most undercollateralised first, then the largest debt value."""
        p = self.position
        risk = Fraction(p.collateral_amount * self.collateral_price * p.liquidation_threshold_bps,
                        max(1, self.debt * self.debt_price))
        return risk, -self.debt * self.debt_price, p.escrow

    def repay(self) -> Liquidation:
        """The largest repay both the close factor and the collateral allow, and what it seizes."""
        amount = self.rules.max_repay(self.position.collateral_amount, self.collateral_price, self.debt, self.debt_price)
        return self.rules.seizure(amount, self.collateral_price, self.debt_price)

    def price_check_passes(self) -> bool:
        """Whether the pool's on-chain check accepts the feed's own prices asserted as they are."""
        return self.rules.price_check_passes(self.collateral_price, self.debt_price, self.collateral_price,
                                             self.debt_price)


HealthyHook = Callable[[Position, int], None]


def scan(
    positions: Iterable[Position],
    collateral_price: int,
    debt_price: int,
    now: int,
    offsets: InterestOffsets,
    on_healthy: HealthyHook | None = None,
) -> tuple[list[Finding], int]:
    """Liquidatable positions among `positions` (all of one collateral/debt asset pair), and how many were checked.

    Evaluated as of `now - ANCHOR_LAG`: a contract that charges interest up to its proof's anchor block
    never sees less debt than we assumed, so nothing judged liquidatable here is healthy there.
    """
    rules = offsets.rules
    end_epoch = rules.next_epoch(now - rules.ANCHOR_LAG)
    table = offsets.table(end_epoch)
    compute = rules.interest_offset
    liquidatable = rules.liquidation_test(collateral_price, debt_price)
    base = rules.INTEREST_BASE
    found: list[Finding] = []
    checked = 0
    for p in positions:
        checked += 1
        principal = p.debt_principal
        offset = table.get(p.debt_epoch)
        if offset is None:
            offset = table[p.debt_epoch] = compute(p.debt_epoch, end_epoch)
        debt = principal + principal * offset // base
        if liquidatable(p.collateral_amount, p.liquidation_threshold_bps, debt):
            found.append(Finding(p, debt, collateral_price, debt_price, rules))
        elif on_healthy is not None:
            on_healthy(p, debt)
    return found, checked


def in_priority_order(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.priority)
