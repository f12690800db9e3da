"""Fast, exact evaluation of positions at given prices (SPEC section 7), and their liquidation order.

The interest offset of a loan depends only on (loanEpoch, next_epoch(now)), not on the principal:
    total_debt = principal + principal * offset // INTEREST_BASE
so it is computed once per loan epoch through shared.money and reused for every position, which
keeps the result identical to shared.money.total_debt while the scan stays a few integer operations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from shared import money
from shared.positions import Position

BPS = money.BPS
INTEREST_BASE = money.INTEREST_BASE


class InterestOffsets:
    """Interest offsets by loan epoch for one `next_epoch`; the table is rebuilt when the epoch turns."""

    def __init__(self) -> None:
        self._end_epoch = -1
        self._table: dict[int, int] = {}

    def table(self, end_epoch: int) -> dict[int, int]:
        if end_epoch != self._end_epoch:
            self._end_epoch = end_epoch
            self._table = {}
        return self._table

    @staticmethod
    def compute(loan_epoch: int, end_epoch: int) -> int:
        # interest(INTEREST_BASE, ...) == INTEREST_BASE * offset // INTEREST_BASE == offset, exactly.
        return money.interest(INTEREST_BASE, loan_epoch, end_epoch)

    def offset(self, loan_epoch: int, end_epoch: int) -> int:
        table = self.table(end_epoch)
        value = table.get(loan_epoch)
        if value is None:
            value = table[loan_epoch] = self.compute(loan_epoch, end_epoch)
        return value

    def total_debt(self, principal: int, loan_epoch: int, now: int) -> int:
        return principal + principal * self.offset(loan_epoch, money.next_epoch(now)) // INTEREST_BASE


@dataclass(frozen=True, slots=True)
class Finding:
    """A position found liquidatable at these prices."""

    position: Position
    debt: int
    collateral_price: int
    debt_price: int

    @property
    def health_factor(self) -> Decimal | None:
        p = self.position
        return money.health_factor(p.collateral_amount, self.collateral_price, p.liquidation_threshold_bps, self.debt, self.debt_price)

    @property
    def health_factor_text(self) -> str:
        return money.format_health_factor(self.health_factor)

    def priority(self) -> tuple[Fraction, int, str]:
        """Most undercollateralised first, then the largest debt value."""
        p = self.position
        risk = Fraction(p.collateral_amount * self.collateral_price * p.liquidation_threshold_bps, self.debt * self.debt_price * BPS)
        return risk, -self.debt * self.debt_price, p.escrow

    def repay(self) -> money.Liquidation:
        """The largest repay both the close factor and the collateral allow, and what it seizes."""
        amount = money.max_repay(self.position.collateral_amount, self.collateral_price, self.debt, self.debt_price)
        return money.seizure(amount, self.collateral_price, self.debt_price)


HealthyHook = Callable[[Position, int], None]


def scan(
    positions: Iterable[Position],
    collateral_price: int,
    debt_price: int,
    now: int,
    offsets: InterestOffsets,
    on_healthy: HealthyHook | None = None,
) -> tuple[list[Finding], int]:
    """Liquidatable positions among `positions` (all of one collateral/debt asset pair), and how many were checked."""
    end_epoch = money.next_epoch(now)
    table = offsets.table(end_epoch)
    compute = offsets.compute
    debt_scale = debt_price * BPS
    base = INTEREST_BASE
    found: list[Finding] = []
    checked = 0
    for p in positions:
        checked += 1
        principal = p.debt_principal
        offset = table.get(p.debt_epoch)
        if offset is None:
            offset = table[p.debt_epoch] = compute(p.debt_epoch, end_epoch)
        debt = principal + principal * offset // base
        if debt > 0 and p.collateral_amount * collateral_price * p.liquidation_threshold_bps < debt * debt_scale:
            found.append(Finding(p, debt, collateral_price, debt_price))
        elif on_healthy is not None:
            on_healthy(p, debt)
    return found, checked


def in_priority_order(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.priority)
