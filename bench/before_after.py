"""Before and after: the same bench, with the same args, run from an older commit and from this tree.

    .venv/bin/python -m bench.before_after --ref 824ce06 [--bench engine] [--bench note_monitor] [bench args]

e.g. `--ref 824ce06 --positions 100000 --escrows 10000` gives the engine's reaction and the monitor's
sync of the first release against today's. The ref is checked out (detached) as a temporary git
worktree, removed afterwards. Each bench runs in a process of its own, the old side first, then this
tree as it is on disk (uncommitted changes included), with the same interpreter and venv and
PYTHONPATH set to the side's tree; each side gets only the options its bench declares (an option an
old bench lacks is named, and then that bench runs on its own default). A bench is paired with the
module of the same name on the old side; one missing there is named and not run. The headline figures
of both sides are then printed side by side (bench/figures.py). Run on an idle machine: both sides
share it, one after the other.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.figures import side_by_side
from bench.runner import REPO_ROOT, Outcome, accepted_options, assert_imports_from, bench_names, module_name, run_module, select

# Installed once per checkout and ignored by git: the old benches need them (anvil) as the new ones do.
NODE_MODULES = ("node_modules", "gateway/node_modules")
DEFAULT_BENCHES = ("bench_engine", "bench_note_monitor")  # the two with a before to compare


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()


@contextmanager
def worktree(repo: Path, ref: str) -> Iterator[Path]:
    """`ref` checked out, detached, in a temporary directory; the worktree removed however the run ends."""
    commit = git(repo, "rev-parse", "--verify", f"{ref}^{{commit}}")
    parent = Path(tempfile.mkdtemp(prefix="bench-before-"))
    tree = parent / "tree"
    git(repo, "worktree", "add", "--detach", str(tree), commit)
    try:
        for name in NODE_MODULES:
            source = repo / name
            if source.exists() and (tree / name).parent.is_dir() and not (tree / name).exists():
                os.symlink(source.resolve(), tree / name)  # resolved: repo's own may be a symlink already
        yield tree
    finally:
        subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)], capture_output=True)
        shutil.rmtree(parent, ignore_errors=True)
        subprocess.run(["git", "-C", str(repo), "worktree", "prune"], capture_output=True)


def run_side(tree: Path, name: str, args: list[str], label: str, wanted: dict[str, bool]) -> Outcome:
    """Runs bench.<name> of `tree` with the args it declares; names those this tree's bench lacks but
    today's takes (`wanted`), since that side then runs on its own default for them."""
    kept, dropped = select(args, accepted_options(tree, name))
    missing = [option for option in dropped if option in wanted]
    if missing:
        print(f"[{label}] bench.{name} does not take {', '.join(missing)}: it runs on its own default", flush=True)
    print(f"[{label}] python -m bench.{name} {' '.join(kept)}".rstrip(), flush=True)
    return run_module(tree, name, kept, prefix=f"[{label}] ")


def main(argv: list[str] | None = None, repo: Path = REPO_ROOT) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.before_after", description=(__doc__ or "").split("\n\n")[0],
                                     allow_abbrev=False)  # a bench option must never be taken for one of ours
    parser.add_argument("--ref", required=True, help="the 'before' commit, e.g. 824ce06 (the first release)")
    parser.add_argument("--bench", action="append", default=[], help=f"repeatable; default {', '.join(DEFAULT_BENCHES)}")
    ours, bench_args = parser.parse_known_args(argv)
    wanted = [module_name(b) for b in ours.bench] or list(DEFAULT_BENCHES)
    unknown = [name for name in wanted if name not in bench_names(repo)]
    if unknown:
        print(f"no bench {', '.join(unknown)} in this tree", file=sys.stderr)
        return 2
    # Asked before any worktree is made: an option none of today's benches declares is a typo.
    options = {name: accepted_options(repo, name) for name in wanted}
    typos = {o for o in select(bench_args, {})[1] if not any(o in declared for declared in options.values())}
    if typos:
        print(f"no bench takes {', '.join(sorted(typos))}", file=sys.stderr)
        return 2
    head = git(repo, "rev-parse", "--short", "HEAD") + ("+changes" if git(repo, "status", "--porcelain", "--", ".") else "")
    titles = (f"before {ours.ref}", f"after {head}")
    failed, tables = [], []
    with worktree(repo, ours.ref) as old:
        assert_imports_from(old)
        assert_imports_from(repo)
        for name in wanted:
            print(f"== bench.{name} {' '.join(bench_args)}".rstrip(), flush=True)
            if name not in bench_names(old):
                print(f"   bench.{name} does not exist at {ours.ref}: nothing to compare, not run\n", flush=True)
                continue
            before = run_side(old, name, bench_args, "before", options[name])
            after = run_side(repo, name, bench_args, "after", options[name])
            failed += [f"{name} ({side})" for side, o in (("before", before), ("after", after)) if not o.ok]
            title = f"bench.{name} {' '.join(select(bench_args, options[name])[0])}".rstrip()
            tables.append([title, *side_by_side(name, before.lines, after.lines, titles)])
            print(flush=True)
    for table in tables:
        print("\n".join(table) + "\n", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
