"""What each liquidation repays and seizes, within the liquidator's debt-token balances."""

from __future__ import annotations

from dataclasses import dataclass

from services.liquidation_engine.planning.evaluate import Finding

# nocom-v1's pool compares the feed's collateral price with the asserted DEBT price and the feed's debt
# price with the asserted COLLATERAL price (lending_pool/src/main.nr: _liquidate_public's arguments are
# swapped); asserting the feed's own prices then reverts whenever collateral is cheaper than debt.
SWAPPED_PRICE_CHECK = (
    "Skipped: the pool's on-chain price check would revert (it compares the collateral's feed price with the "
    "asserted debt price, and the collateral is cheaper than the debt); prices are never asserted otherwise"
)


@dataclass(frozen=True)
class Plan:
    """What one attempt asserts and expects, in exact integers."""

    escrow: str
    health_factor: str
    repay: int
    seized: int
    collateral_price: int
    debt_price: int


@dataclass(frozen=True)
class Planned:
    finding: Finding
    plan: Plan


@dataclass(frozen=True)
class Skipped:
    finding: Finding
    plan: Plan
    reason: str


def plan_for(finding: Finding) -> Plan:
    outcome = finding.repay()
    return Plan(finding.position.escrow, finding.health_factor_text, outcome.repay, outcome.seized,
                finding.collateral_price, finding.debt_price)


def budget(findings: list[Finding], available: dict[str, int]) -> tuple[list[Planned], list[Skipped]]:
    """In priority order, each finding gets its maximal repay while its debt token's balance lasts.

    `available` maps a debt token to what the liquidator may still spend; it is not modified.
    """
    left = dict(available)
    planned: list[Planned] = []
    skipped: list[Skipped] = []
    for finding in findings:
        plan = plan_for(finding)
        token = finding.position.debt_token
        have = left.get(token, 0)
        if not finding.price_check_passes():
            skipped.append(Skipped(finding, plan, SWAPPED_PRICE_CHECK))
        elif plan.repay <= 0:
            skipped.append(Skipped(finding, plan, "Nothing can be repaid within the close factor and the collateral"))
        elif plan.seized <= 0:
            # Bad debt: repaying would give tokens away for no collateral, every check, forever.
            skipped.append(Skipped(finding, plan, "Nothing to seize: the position has no collateral left (bad debt)"))
        elif have < plan.repay:
            skipped.append(Skipped(finding, plan, f"Insufficient debt-token balance: have {max(have, 0)}, need {plan.repay}"))
        else:
            left[token] = have - plan.repay
            planned.append(Planned(finding, plan))
    return planned, skipped
