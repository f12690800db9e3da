"""Running bench modules, each in a process of its own, from a given source tree.

A bench run in the runner's own process would inherit what earlier benches left behind (imported
modules, a grown heap, a collector state, threads), so every figure after the first would describe
a different process than the one a service runs in. Each module therefore runs as
`python -m bench.<name> [args]` with PYTHONPATH set to the tree it comes from, which is also what
lets bench/before_after.py run an older checkout's benches with the same interpreter and venv.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# One argparse option line in --help: "  --positions POSITIONS", "  --full", "  -h, --help", "  --mode {a,b}".
OPTION_LINE = re.compile(r"^\s+(?:-\w(?: \S+)?, )?(--[\w-]+)(?: (\{[^}]*\}|[A-Z_][A-Z0-9_]*))?(?:\s|$)")


@dataclass
class Outcome:
    """How one bench module's process ended, and what it printed (stdout and stderr, interleaved)."""

    name: str
    returncode: int
    seconds: float
    lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def bench_names(tree: Path) -> list[str]:
    """The bench modules of a tree: bench/bench_*.py, by name."""
    return sorted(p.stem for p in (tree / "bench").glob("bench_*.py"))


def module_name(given: str) -> str:
    """`engine`, `bench_engine`, `bench.bench_engine` and `bench/bench_engine.py` all name bench_engine."""
    name = given.removesuffix(".py").replace("/", ".").split(".")[-1]
    return name if name.startswith("bench_") else f"bench_{name}"


def environment(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Only this tree: a PYTHONPATH inherited from the caller could put the other tree's packages first.
    env["PYTHONPATH"] = str(tree)
    env["PYTHONUNBUFFERED"] = "1"  # figures appear as printed, not when the process ends
    return env


def run_module(tree: Path, name: str, args: list[str], prefix: str = "") -> Outcome:
    """Runs bench.<name> from `tree`, streaming its output line by line (with `prefix`) as it comes."""
    started = time.perf_counter()
    lines: list[str] = []
    with subprocess.Popen([sys.executable, "-m", f"bench.{name}", *args], cwd=tree, env=environment(tree),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(prefix + line, end="", flush=True)
            lines.append(line.rstrip("\n"))
        returncode = proc.wait()
    return Outcome(name, returncode, time.perf_counter() - started, lines)


def accepted_options(tree: Path, name: str) -> dict[str, bool]:
    """The options bench.<name> of `tree` takes, each with whether it takes a value, read from its --help
    (the only interface an older tree's bench is sure to have)."""
    done = subprocess.run([sys.executable, "-m", f"bench.{name}", "--help"], cwd=tree, env=environment(tree),
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"bench.{name} --help failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    options: dict[str, bool] = {}
    for line in done.stdout.splitlines():
        if match := OPTION_LINE.match(line):
            options[match.group(1)] = match.group(2) is not None
    return options


def select(args: list[str], accepted: dict[str, bool]) -> tuple[list[str], list[str]]:
    """(the args a bench takes, the options it does not), so one command line can size several benches
    (--positions for one, --escrows for another) without each refusing the other's options."""
    kept: list[str] = []
    dropped: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        option = token.split("=", 1)[0]
        # A value follows an option that takes one, unless written --option=value.
        takes_value = accepted.get(option, True) if token.startswith("--") else False
        width = 2 if takes_value and "=" not in token and i + 1 < len(args) and not args[i + 1].startswith("--") else 1
        if not token.startswith("--") or option in accepted:
            kept += args[i:i + width]
        else:
            dropped.append(option)
        i += width
    return kept, dropped


def assert_imports_from(tree: Path) -> None:
    """Fails unless bench, services and shared import from `tree` under its environment: the editable
    install of another tree in the venv must not answer for them, or 'before' would measure 'after'."""
    code = "import bench, services, shared; print(*(list(m.__path__)[0] for m in (bench, services, shared)), sep='\\n')"
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=environment(tree), capture_output=True,
                          text=True, timeout=120, check=True)
    outside = [p for p in done.stdout.split() if not Path(p).resolve().is_relative_to(tree.resolve())]
    if outside:
        raise RuntimeError(f"packages import from outside {tree}: {outside}")
