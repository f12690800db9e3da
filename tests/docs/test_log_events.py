"""docs/log-events.md is the list of log events: every event the code emits is there, under its service,
at its level and with its fields, and every event listed there is emitted.

The code is read as text (ast), nothing imported: the events are the first argument of `log.<level>(...)`
anywhere under services/ and shared/, wherever the modules live.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from tests.fixtures.paths import REPO

PAGE = (REPO / "docs" / "log-events.md").read_text()
LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}
LOGGERS = {"log", "logger"}
EVERY_SERVICE = "Every service"
# The folder under services/ each service's code lives in, and its heading on the page.
SERVICE_HEADINGS = {"price_service": "price-service", "note_monitor": "note-monitor",
                    "liquidation_engine": "liquidation-engine"}


@dataclass
class Emitted:
    levels: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
    open_fields: bool = False  # some call adds fields with **mapping: the page may name more
    folders: set[str] = field(default_factory=set)  # services/<folder>, or "shared"


@dataclass
class Documented:
    section: str
    levels: set[str]
    fields: set[str]


def _log_calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LEVELS
            and isinstance(node.func.value, ast.Name) and node.func.value.id in LOGGERS]


def _folder(path: Path) -> str:
    parts = path.relative_to(REPO).parts
    return parts[1] if parts[0] == "services" else parts[0]


def scan_code() -> tuple[dict[str, Emitted], list[str]]:
    """Events by name, and the log calls whose event is not a string literal (file:line)."""
    events: dict[str, Emitted] = {}
    unreadable: list[str] = []
    for top in ("services", "shared"):
        for path in sorted((REPO / top).rglob("*.py")):
            for call in _log_calls(ast.parse(path.read_text())):
                first = call.args[0] if call.args else None
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    unreadable.append(f"{path.relative_to(REPO)}:{call.lineno}")
                    continue
                entry = events.setdefault(first.value, Emitted())
                entry.levels.add("error" if call.func.attr in {"exception", "critical"} else call.func.attr)  # type: ignore[attr-defined]
                entry.fields.update(k.arg for k in call.keywords if k.arg)
                entry.open_fields |= any(k.arg is None for k in call.keywords)
                entry.folders.add(_folder(path))
    return events, unreadable


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
