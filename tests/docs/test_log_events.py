"""docs/log-events.md is the list of log events: every event the code emits is there, under its service,
at its level and with its fields, and every event listed there is emitted.

The code is read as text (tests/docs/log_sources.py), nothing imported.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from tests.docs.log_sources import LEVELS, scan_code
from tests.fixtures.paths import REPO

PAGE = (REPO / "docs" / "log-events.md").read_text()
EVERY_SERVICE = "Every service"
# The folder under services/ each service's code lives in, and its heading on the page.
SERVICE_HEADINGS = {"price_service": "price-service", "note_monitor": "note-monitor",
                    "liquidation_engine": "liquidation-engine"}


@dataclass
class Documented:
    section: str
    levels: set[str]
    fields: set[str]


def scan_page() -> dict[str, list[Documented]]:
    documented: dict[str, list[Documented]] = {}
    for section in re.split(r"^## ", PAGE, flags=re.M)[1:]:
        heading = section.splitlines()[0].strip()
        for row in re.findall(r"^\| `([^`]+)` \|([^|]*)\|([^|]*)\|", section, flags=re.M):
            event, levels, fields = row
            documented.setdefault(event, []).append(Documented(
                heading, {w for w in re.findall(r"[a-z]+", levels) if w in LEVELS}, set(re.findall(r"`([^`]+)`", fields))))
    return documented


EMITTED, UNREADABLE = scan_code()
DOCUMENTED = scan_page()


def test_every_log_call_names_its_event_literally() -> None:
    # An event built at run time could not be grepped for, nor checked here.
    assert UNREADABLE == []


def test_every_emitted_event_is_documented() -> None:
    assert len(EMITTED) > 50, "the scan found too few events: did the logger's name change?"
    assert sorted(set(EMITTED) - set(DOCUMENTED)) == []


def test_every_documented_event_is_emitted() -> None:
    assert sorted(set(DOCUMENTED) - set(EMITTED)) == []


def test_each_event_is_documented_once() -> None:
    assert sorted(event for event, rows in DOCUMENTED.items() if len(rows) > 1) == []


def test_each_event_is_documented_under_the_service_that_emits_it() -> None:
    misplaced = {}
    for event, emitted in EMITTED.items():
        section = DOCUMENTED[event][0].section if event in DOCUMENTED else None
        for folder in emitted.folders - {"shared"}:  # shared code may serve one service or all
            if section not in {SERVICE_HEADINGS.get(folder), EVERY_SERVICE}:
                misplaced[event] = (folder, section)
    assert misplaced == {}


def test_levels_are_those_emitted() -> None:
    wrong = {event: (sorted(DOCUMENTED[event][0].levels), sorted(e.levels))
             for event, e in EMITTED.items() if event in DOCUMENTED and DOCUMENTED[event][0].levels != e.levels}
    assert wrong == {}


def test_fields_are_those_emitted() -> None:
    wrong = {}
    for event, emitted in EMITTED.items():
        if event not in DOCUMENTED:
            continue
        listed = DOCUMENTED[event][0].fields
        missing, extra = emitted.fields - listed, listed - emitted.fields
        if missing or (extra and not emitted.open_fields):
            wrong[event] = {"not documented": sorted(missing), "not emitted": sorted(extra)}
    assert wrong == {}


def test_sampled_events_are_the_ones_the_page_names() -> None:
    sampled: set[str] = set()
    for path in (REPO / "shared").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "SAMPLED_EVENTS" for t in node.targets):
                sampled |= {c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    assert sampled, "SAMPLED_EVENTS not found under shared/"
    bullet = PAGE.split("**Repeated events are sampled.**", 1)[1].split("\n- ", 1)[0]
    named = {" ".join(name.split()) for name in re.findall(r"`([^`]+)`", bullet)}  # a name may wrap a line
    assert named - {"suppressed"} == sampled


def test_the_events_operators_were_promised_are_documented() -> None:
    # The events of the original interface contract (its section 4): operators' greps rely on them.
    promised = {
        "Price change", "Price change not significant", "Price updated on-chain", "Price update failed",
        "Price fetch failed", "Liquidation engine notified", "Liquidation engine notification failed",
        "Escrow registered", "Escrow removed", "Note sync started", "Note sync completed", "Note sync failed",
        "PXE unreachable", "PXE reachable", "Price update notification", "Position checked",
        "No liquidatable positions found", "Liquidation executed successfully", "Liquidation failed",
        "Price stale", "Unauthorized", "Service started", "Service stopped",
    }
    assert sorted(promised - set(DOCUMENTED)) == []
