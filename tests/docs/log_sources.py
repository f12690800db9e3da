"""The log events the code emits, read as text (ast): the first argument of `log.<level>(...)` anywhere
under services/ and shared/, wherever the modules live. Nothing is imported."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from tests.fixtures.paths import REPO

LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}
LOGGERS = {"log", "logger"}


@dataclass
class Emitted:
    levels: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
    open_fields: bool = False  # some call adds fields with **mapping: the page may name more
    folders: set[str] = field(default_factory=set)  # services/<folder>, or "shared"


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
