"""docs/money-math.md names the code behind each rule; those files and functions exist, and every rule
function of the protocol modules is on the page.

Citations are `path: name` in backticks (`shared/protocols/reference.py: next_epoch`,
`contracts/PriceOracle.sol: setPrices`); the contracts of jp4g/nocom-v1 (`*.nr`) live outside the
repository and are not checked here. When a module moves, this test names every citation to update.
"""

from __future__ import annotations

import ast
import re

from tests.fixtures.paths import REPO

PAGE = (REPO / "docs" / "money-math.md").read_text()
CITATION = re.compile(r"`((?:services|shared|devnet|contracts|scripts)/[\w/]+\.(?:py|sol))(?:: ([\w.]+))?`")
PROTOCOL_MODULES = ("reference.py", "nocom_v1.py")


def citations() -> list[tuple[str, str | None]]:
    return [(path, name or None) for path, name in CITATION.findall(PAGE)]


def python_names(source: str) -> set[str]:
    """Functions and classes, and Class.method for methods."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names.update(f"{node.name}.{item.name}" for item in node.body
                         if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return names


def test_every_cited_file_and_function_exists() -> None:
    found = citations()
    assert len(found) > 40, "the citations were not found"
    missing = []
    for path, name in found:
        file = REPO / path
        if not file.exists():
            missing.append(path)
        elif name and path.endswith(".py") and name not in python_names(file.read_text()):
            missing.append(f"{path}: {name}")
        elif name and path.endswith(".sol") and not re.search(rf"\bfunction {name}\(", file.read_text()):
            missing.append(f"{path}: {name}")
    assert sorted(set(missing)) == []


def test_every_rule_of_the_protocol_modules_is_on_the_page() -> None:
    modules = {path for path, _ in citations() if path.endswith(PROTOCOL_MODULES)}
    assert len(modules) == len(PROTOCOL_MODULES), modules
    cited = {(path, name) for path, name in citations()}
    missing = []
    for path in sorted(modules):
        tree = ast.parse((REPO / path).read_text())
        public = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
        missing += [f"{path}: {name}" for name in public if (path, name) not in cited and name not in {"u128"}]
    assert missing == []


def test_the_nocom_contracts_are_pinned_to_the_commit_read() -> None:
    assert "dc5ab6b41cbbff004ad25a07ae6b1bc5a69f5cd0" in PAGE
    module = next(path for path, _ in citations() if path.endswith("nocom_v1.py"))
    assert "dc5ab6b" in (REPO / module).read_text(), "the transcription and the page must follow one commit"
