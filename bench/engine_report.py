"""The figures the engine benchmark prints: reaction times against the naive path, and evaluation cost."""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass, field


@dataclass
class Timings:
    """Per round: from the notification (or the naive pull) to the first and to the last tx sent."""

    first: list[float] = field(default_factory=list)
    last: list[float] = field(default_factory=list)


@dataclass
class Evaluation:
    """Evaluating the engine's whole copy: exact-int scan times, and one Decimal pass over the wire form."""

    positions: int
    times: list[float]
    found: int
    checked: int
    naive_found: int
    decimal_time: float


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report(args: argparse.Namespace, fast: Timings, naive: Timings, ev: Evaluation, succeeded: int) -> None:
    fast_median, naive_median = statistics.median(fast.last), statistics.median(naive.last)
    first_fast, first_naive = statistics.median(fast.first), statistics.median(naive.first)
    eval_median = statistics.median(ev.times)
    print()
    print(f"positions {args.positions}, liquidatable after the notification {args.at_risk}, liquidations succeeded {succeeded}")
    print(f"notification -> last liquidation tx sent (engine):  median {ms(fast_median)}  "
          f"[min {ms(min(fast.last))}, max {ms(max(fast.last))}, {len(fast.last)} rounds]  "
          f"goal < 50 ms: {'met' if fast_median < 0.05 else 'NOT met'}")
    print(f"naive (pull all over HTTP + Decimal, same sends):     median {ms(naive_median)}  "
          f"[min {ms(min(naive.last))}, max {ms(max(naive.last))}, {len(naive.last)} rounds]")
    print(f"speed-up: {naive_median / fast_median:.1f}x  goal >= 10x: {'met' if naive_median / fast_median >= 10 else 'NOT met'}")
    print(f"notification -> FIRST liquidation tx sent (the decision): engine median {ms(first_fast)}, "
          f"naive median {ms(first_naive)}, {first_naive / first_fast:.1f}x")
    print(f"sending {args.at_risk} liquidations (authwit + sendTx each, against the dev PXE): "
          f"engine {ms(fast_median - first_fast)} after the first, "
          f"{ms((fast_median - first_fast) / max(1, args.at_risk - 1))} per liquidation")
    print(f"evaluate {ev.positions} positions (exact ints, cached interest): median {ms(eval_median)} "
          f"({ev.checked} checked, {ev.found} liquidatable)  goal < 100 ms: {'met' if eval_median < 0.1 else 'NOT met'}")
    print(f"evaluate {ev.positions} positions with Decimal from wire strings: {ms(ev.decimal_time)} "
          f"({ev.naive_found} liquidatable; {ev.decimal_time / eval_median:.1f}x slower)")
