"""The project's layout rules, checked on the source (ast, nothing imported):

- every .py file stays under 300 lines, every function under 50;
- the product (services/, shared/) never imports the development tools (devnet/);
- services/ and shared/ modules import each other without cycles at import time
  (imports inside functions or under `if TYPE_CHECKING:` are not import-time edges);
- shared/ holds only what two or more services use.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 300
MAX_FUNCTION_LINES = 50
SKIPPED_DIRS = {".git", ".venv", "node_modules", "__pycache__"}
PRODUCT = ("services", "shared")


def _python_files(*tops: str) -> list[Path]:
    files = []
    for top in [REPO_ROOT / t for t in tops] if tops else [REPO_ROOT]:
        for folder, dirs, names in os.walk(top):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
            files += [Path(folder, n) for n in names if n.endswith(".py")]
    return sorted(files)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Absolute names this import statement asks for (`from a import b` gives a.b and a)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = ".".join(package[: len(package) - node.level + 1] + [node.module or ""]) if node.level else node.module or ""
    return [base.rstrip(".")] + [f"{base.rstrip('.')}.{alias.name}" for alias in node.names]


def _import_time_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports run when the module loads: not inside functions, nor under `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending += node.orelse
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            pending += [child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt | ast.excepthandler)]
    return found


def test_every_python_file_stays_under_the_line_limit() -> None:
    too_long = {str(p.relative_to(REPO_ROOT)): n for p in _python_files() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert too_long == {}, f"split these files (limit {MAX_LINES} lines)"


def test_every_function_stays_under_the_line_limit() -> None:
    too_long = {}
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno:
                if (n := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES:
                    too_long[f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.name}"] = n
    assert too_long == {}, f"split these functions (limit {MAX_FUNCTION_LINES} lines)"


def test_the_product_never_imports_devnet() -> None:
    offenders = []
    for path in _python_files(*PRODUCT):
        module = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = _imported(module, path, node)
                if any(name == "devnet" or name.startswith("devnet.") for name in names):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert offenders == []


def test_the_product_modules_have_no_import_cycles() -> None:
    paths = {_module_name(p): p for p in _python_files(*PRODUCT)}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        nodes = _import_time_imports(ast.parse(path.read_text()))
        # Only the module named, not the parent packages it also runs: those load before their submodules.
        graph[module] = {name for node in nodes for name in _imported(module, path, node) if name in paths} - {module}
    cycles = []
    for start in graph:  # a DFS from each module back to itself; the product is small enough
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            module, trail = stack.pop()
            for nxt in graph[module]:
                if nxt == start:
                    cycles.append(" -> ".join([*trail, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
    assert cycles == []


def _imports_of(paths: dict[str, Path]) -> dict[str, set[str]]:
    """Every product module another product module imports (at any depth of the file, TYPE_CHECKING too)."""
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        names = [n for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, (ast.Import, ast.ImportFrom))
                 for n in _imported(module, path, node)]
        graph[module] = {name for name in names if name in paths} - {module}
    return graph


def test_shared_holds_only_what_two_services_use() -> None:
    """shared/ is the code of more than one service: each of its modules is reached, directly or through
    other shared modules, from at least two of the services' packages. What one service alone uses lives
    in that service."""
    paths = {_module_name(p): p for p in _python_files(*PRODUCT)}
    graph = _imports_of(paths)
    users: dict[str, set[str]] = {m: set() for m in paths if m.startswith("shared")}
    for module in paths:
        if not module.startswith("services."):
            continue
        service = module.split(".")[1]
        pending, seen = [module], set()
        while pending:
            for name in graph[pending.pop()]:
                if name not in seen:
                    seen.add(name)
                    pending.append(name)
        for name in seen & set(users):
            users[name].add(service)
    # Alembic runs the one migration environment by its path for every service; nothing imports it.
    run_by_path = {"shared.migrations.env"}
    lonely = {m: sorted(s) for m, s in users.items() if len(s) < 2 and paths[m].name != "__init__.py" and m not in run_by_path}
    assert lonely == {}, "move these into the one service that uses them"
