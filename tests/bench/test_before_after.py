"""python -m bench.before_after on a throwaway repository: both sides run, figures paired, worktree gone."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from bench.before_after import main
from tests.bench.fake_tree import FAILING, sized, write_tree


def monitor_bench(ratio: str, *options: str) -> str:
    """A stand-in bench_note_monitor printing its ratio line in the real bench's wording."""
    added = "".join(f'parser.add_argument("{o}", type=int, default=1)\n' for o in options)
    return textwrap.dedent("""
        import argparse
        parser = argparse.ArgumentParser()
    """) + added + textwrap.dedent(f"""
        print("given", vars(parser.parse_args()))
        print("ratio sync / one-by-one: {ratio}")
    """)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two commits: v1 has one bench taking --escrows; v2 (the tree on disk) also takes --sample and adds bench_memory."""
    root = write_tree(tmp_path / "repo", {"bench_note_monitor": monitor_bench("0.5", "--escrows")})
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "v1")
    git(root, "tag", "v1")
    write_tree(root, {"bench_note_monitor": monitor_bench("0.005", "--escrows", "--sample"),
                      "bench_memory": sized("bench_memory", "--sizes")})
    return root


def test_both_sides_run_with_their_own_options_and_the_figures_are_paired(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--ref", "v1", "--bench", "note_monitor", "--bench", "memory", "--escrows", "4", "--sample", "2"], repo)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "[before] given {'escrows': 4}" in out
    assert "[before] bench.bench_note_monitor does not take --sample" in out
    assert "[after] given {'escrows': 4, 'sample': 2}" in out
    assert "bench.bench_memory does not exist at v1" in out and "bench_memory ran" not in out
    row = next(line for line in out.splitlines() if line.startswith("ratio sync / one-by-one "))
    assert row.split()[-2:] == ["0.5", "0.005"]
    assert "after " in out and "+changes" in out  # the uncommitted v2 is what ran as 'after'


def test_the_worktree_is_removed_and_a_failing_side_fails_the_run(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(repo, {"bench_note_monitor": FAILING})
    assert main(["--ref", "v1", "--bench", "note_monitor"], repo) == 1
    out = capsys.readouterr().out
    assert "[before] given {'escrows': 1}" in out  # the old side ran, and its figure is still shown
    assert "failed: bench_note_monitor (after)" in out
    assert len(git(repo, "worktree", "list").splitlines()) == 1  # only the repository itself


def test_an_unknown_bench_or_option_is_refused_before_a_worktree_is_made(repo: Path) -> None:
    assert main(["--ref", "v1", "--bench", "nope"], repo) == 2
    assert main(["--ref", "v1", "--bench", "note_monitor", "--escrow", "3"], repo) == 2  # --escrows misspelt
    assert len(git(repo, "worktree", "list").splitlines()) == 1
