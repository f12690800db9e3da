"""The index by liquidation price selects, after the exact check, exactly what a full exact scan finds.

Random books, random price paths, positions changing in between, time crossing epochs (and the
index's horizon), at both protocols: the index may offer more, it never misses one.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.liquidation_engine.planning.evaluate import InterestOffsets, scan
from services.liquidation_engine.planning.holds import Rereads
from services.liquidation_engine.planning.liquidation_index import HORIZON_EPOCHS, LiquidationIndex
from services.liquidation_engine.position_copy import PositionCopy
from shared.positions import Position
from shared.protocols import nocom_v1, reference

UNIT = 10**18
START = 1_750_000_000
PAIR = ("ETH", "USDC")


@st.composite
def books(draw: st.DrawFn, rules: Any) -> list[Position]:
    threshold_base = rules.THRESHOLD_BASE
    epoch = rules.next_epoch(START)
    size = draw(st.integers(1, 40))
    out = []
    for n in range(size):
        collateral = draw(st.one_of(st.integers(0, 10 * UNIT), st.integers(0, 10**4)))
        principal = draw(st.one_of(st.integers(0, 40_000 * UNIT), st.integers(0, 10**6)))
        threshold = draw(st.integers(1, threshold_base))
        debt_epoch = epoch - draw(st.integers(-2, 3_000))
        out.append(Position(f"0x{n + 1:064x}", "0xp", "ETH", "0xc", collateral, "USDC", "0xd", principal, debt_epoch,
                            threshold, 0, 0, 1))
    return out


def steps(decimals: int) -> st.SearchStrategy[list[dict[str, int]]]:
    unit = 10**decimals
    return st.lists(st.fixed_dictionaries({
        "cp": st.integers(unit // 10, 10_000 * unit), "dp": st.integers(max(1, unit // 100), 3 * unit),
        "advance": st.sampled_from([0, 60, 900, 900 * HORIZON_EPOCHS, 86_400 * 30]),
        "change": st.integers(0, 39), "scale": st.sampled_from([0, 1, 2, 3]),
    }), min_size=1, max_size=12)


def exactly(positions: list[Position], cp: int, dp: int, now: int, rules: Any) -> set[str]:
    found, _ = scan(positions, cp, dp, now, InterestOffsets(rules))
    return {f.position.escrow for f in found}


def check_path(rules: Any, book: list[Position], path: list[dict[str, int]]) -> None:
    copy = PositionCopy(None, None, Rereads(), index=LiquidationIndex(rules))  # type: ignore[arg-type]
    for position in book:
        copy.put(position)
    now = START
    for step in path:
        now += step["advance"]
        escrow = f"0x{step['change'] + 1:064x}"
        current = copy.get(escrow)
        if current is not None and step["scale"]:  # the monitor reports a change to one position
            copy.put(Position(current.escrow, current.pool, "ETH", "0xc", current.collateral_amount // step["scale"],
                              "USDC", "0xd", current.debt_principal * step["scale"], current.debt_epoch,
                              current.liquidation_threshold_bps, 0, 0, current.version + 1))
        elif current is not None and step["advance"] == 60:
            copy.drop(escrow)
        offered = list(copy.candidates(PAIR, step["cp"], step["dp"], now))
        everything = list(copy.positions(PAIR))
        assert exactly(offered, step["cp"], step["dp"], now, rules) == exactly(everything, step["cp"], step["dp"], now, rules)


@settings(max_examples=250, deadline=None)
@given(data=st.data())
def test_reference_index_misses_nothing(data: st.DataObject) -> None:
    check_path(reference, data.draw(books(reference)), data.draw(steps(8)))


@settings(max_examples=250, deadline=None)
@given(data=st.data())
def test_nocom_v1_index_misses_nothing(data: st.DataObject) -> None:
    check_path(nocom_v1, data.draw(books(nocom_v1)), data.draw(steps(4)))


def test_the_index_offers_few_when_few_are_near_the_edge() -> None:
    copy = PositionCopy(None, None, Rereads(), index=LiquidationIndex(reference))  # type: ignore[arg-type]
    epoch = reference.next_epoch(START)
    for n in range(1_000):
        principal = (40_000 + 2 * n) * UNIT  # liquidatable at ETH 52 000 once the debt is above 41 600: n > 800
        copy.put(Position(f"0x{n + 1:064x}", "0xp", "ETH", "0xc", UNIT, "USDC", "0xd", principal, epoch, 8_000, 0, 0, 1))
    offered = list(copy.candidates(PAIR, 52_000 * 10**8, 10**8, START))
    assert 199 <= len(offered) < 220  # the 199 liquidatable ones and hardly any other
