"""python -m bench: every module in its own process, a failure collected, options split between modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import main
from tests.bench.fake_tree import FAILING, sized, write_tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "tree", {
        "bench_a": sized("bench_a", "--positions"),
        "bench_b": FAILING,
        "bench_c": sized("bench_c", "--escrows"),
    })


def test_a_failing_bench_fails_the_run_and_the_others_still_run(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([], tree) == 1
    out = capsys.readouterr().out
    assert "bench_a ran with" in out and "bench_c ran with" in out
    assert "RuntimeError: this bench is broken" in out  # its traceback is streamed with the rest
    assert "== bench.bench_b FAILED (exit 1)" in out
    assert out.rstrip().endswith("failed: bench_b")


def test_each_bench_gets_only_the_options_it_declares(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--positions", "7", "--escrows=3", "--full"], tree) == 1  # bench_b still fails
    out = capsys.readouterr().out
    assert "bench_a ran with {'positions': 7, 'full': True}" in out
    assert "bench_c ran with {'escrows': 3, 'full': True}" in out


def test_an_option_no_bench_declares_is_refused_before_any_runs(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--positons", "7"], tree)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert "no bench takes --positons" in captured.err and "ran with" not in captured.out


def test_one_bench_by_name_runs_alone(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["c", "--escrows", "5"], tree) == 0
    assert main(["bench_b"], tree) == 1
    assert main(["nope"], tree) == 2
    out = capsys.readouterr().out
    assert "bench_c ran with {'escrows': 5, 'full': False}" in out and "bench_a" not in out
