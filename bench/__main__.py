"""python -m bench [args] runs every bench/bench_*.py module; python -m bench <name> [args] runs one.

Each module runs in a process of its own (bench/runner.py says why), its output streamed as it prints.
With every module, each gets only the options it declares (--positions sizes one, --escrows another);
an option no module declares is refused before anything runs. One failing module does not stop the
others; the exit status is 1 if any failed. Nothing here asserts a time.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.runner import REPO_ROOT, accepted_options, bench_names, module_name, run_module, select


def plan(tree: Path, names: list[str], args: list[str]) -> list[tuple[str, list[str]]]:
    """Each module with the args it takes; SystemExit(2) for an option none of them takes (a typo)."""
    if not args:  # nothing to split: no need to ask every module for its options
        return [(name, []) for name in names]
    planned, dropped_by_all = [], None
    for name in names:
        kept, dropped = select(args, accepted_options(tree, name))
        planned.append((name, kept))
        dropped_by_all = set(dropped) if dropped_by_all is None else dropped_by_all & set(dropped)
    if dropped_by_all:
        print(f"no bench takes {', '.join(sorted(dropped_by_all))}", file=sys.stderr)
        raise SystemExit(2)
    return planned


def main(argv: list[str] | None = None, tree: Path = REPO_ROOT) -> int:
    args = sys.argv[1:] if argv is None else argv
    names = bench_names(tree)
    if args and not args[0].startswith("-"):  # one module, its args passed unfiltered (a typo is its error)
        name = module_name(args[0])
        if name not in names:
            print(f"no bench {name}; there are {', '.join(names)}", file=sys.stderr)
            return 2
        return 0 if run_module(tree, name, args[1:]).ok else 1
    failed = []
    for name, module_args in plan(tree, names, args):
        print(f"== bench.{name} {' '.join(module_args)}".rstrip(), flush=True)
        outcome = run_module(tree, name, module_args)
        if not outcome.ok:
            failed.append(name)
        status = "done" if outcome.ok else f"FAILED (exit {outcome.returncode})"
        print(f"== bench.{name} {status} in {outcome.seconds:.1f} s\n", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
