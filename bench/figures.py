"""The headline figures of each bench, picked from its printed lines, to set two runs side by side.

Each pattern matches the wording of the first release (824ce06) and of today's bench, which differ
(e.g. "last liquidation tx sent (engine):" then, "LAST liquidation sent, engine:" now). A figure a side
did not print shows as "-": its full output is above, streamed as it ran.

The benches differ too, not only the code they measure: 824ce06's engine bench puts a uniform book
(every healthy position the same debt) in the dev PXE and times its sends in one batch (first = last),
today's spreads the healthy debts (bench/book.py) and seeds them in the monitor only. Same sizes and
rounds, then, but read a row as "what each side's bench reports", not as one book measured twice.
"""

from __future__ import annotations

import re

FIGURES: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    "bench_engine": [
        ("engine copy built (once, at start)", re.compile(r"engine copy built .*? in ([\d.]+ s)")),
        ("notification -> first send, engine median",
         re.compile(r"FIRST liquidation (?:tx )?sent \(the decision\)[,:] engine:? median ([\d.]+ ms)")),
        ("notification -> last send, engine median",
         re.compile(r"notification -> (?:last|LAST) liquidation (?:tx )?sent(?: \(engine\):|, engine:)\s+median ([\d.]+ ms)")),
        ("naive path -> first send, median", re.compile(r"(?:naive median|naive path \(.*?\): first) ([\d.]+ ms)")),
        ("naive path -> last send, median", re.compile(r"naive (?:\(pull all.*?\):\s+median|path \(.*?\): first .*?, last) ([\d.]+ ms)")),
        ("evaluate the copy, exact ints, median", re.compile(r"evaluate \d+ positions \(exact ints, cached interest\): median ([\d.]+ ms)")),
        ("evaluate the copy, Decimal", re.compile(r"evaluate \d+ positions with Decimal from wire strings: ([\d.]+ ms)")),
    ],
    "bench_note_monitor": [
        ("escrows per 60 s sync, today's reads (cost model)",
         re.compile(r"^today's reads \(two simulations per escrow\): .*-> ([\d,]+) escrows within")),
        ("escrows per 60 s sync, note-store reads (cost model)",
         re.compile(r"^note-store reads \(one pxe_getNotes per pool\): .*-> ([\d,]+) escrows within")),
        ("sync of every escrow", re.compile(r"^sync of \d+ escrows, .*?: ([\d.]+ s) \(changed")),
        ("reading them one by one", re.compile(r"^reading them one by one.*?: ([\d.]+ s)")),
        ("ratio sync / one-by-one", re.compile(r"^ratio sync / one-by-one: ([\d.]+)")),
        ("GET /positions?sinceVersion=N, median", re.compile(r"sinceVersion=N, nothing changed, \d+ positions: median ([\d.]+ ms)")),
        ("loading the positions at start", re.compile(r"^loading \d+ positions from SQLite at start: ([\d.]+ s)")),
    ],
}


def pick(name: str, lines: list[str]) -> dict[str, str]:
    """Each headline figure of bench `name` found in its output (the last one printed, if several)."""
    found: dict[str, str] = {}
    for label, pattern in FIGURES.get(name, []):
        for line in lines:
            if match := pattern.search(line):
                found[label] = match.group(1)
    return found


def side_by_side(name: str, before: list[str], after: list[str], titles: tuple[str, str]) -> list[str]:
    """Rows of `label | before | after` for bench `name`."""
    old, new = pick(name, before), pick(name, after)
    labels = [label for label, _ in FIGURES.get(name, [])]
    width = max([len(label) for label in labels] + [10])
    rows = [f"{'':<{width}}  {titles[0]:>22}  {titles[1]:>22}"]
    rows += [f"{label:<{width}}  {old.get(label, '-'):>22}  {new.get(label, '-'):>22}" for label in labels]
    return rows
