"""The price push bench runs, each side in a process of its own, and reports what it measured: the
transactions of today's one-call-a-transaction push against the packed one (figures, never a timed assert)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.fixtures.paths import REPO


def test_the_bench_reports_both_sides_and_their_ratio() -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "price_push", "--assets", "9", "--time-scale", "0.005"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"^today .*: 3 transactions, last accepted by the node after [\d.]+ model s", out, re.M)  # 3 calls
    assert re.search(r"^now .*: 1 transactions", out, re.M)  # the 3 calls in one transaction
    assert re.search(r"^ratio today / now: transactions 3\.00x, seconds to the last send [\d.]+x$", out, re.M)
    assert "time scale 0.005" in out
