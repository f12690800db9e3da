"""The figures the engine benchmark prints: reaction times against the naive path, and evaluation cost."""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass, field


@dataclass
class Timings:
    """Per round, from the notification (or the naive pull): to the first send handed to the PXE (the
    decision), to the first and to the last send the PXE acknowledged."""

    decided: list[float] = field(default_factory=list)
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


@dataclass
class Sweep:
    """The engine's scheduled check over every position, against the interval it must fit in."""

    times: list[float]
    checked: int
    interval: float


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(args: argparse.Namespace, fast: Timings, naive: Timings, ev: Evaluation, sweep: Sweep,
           succeeded: int) -> None:
    decided, first, last = (statistics.median(t) for t in (fast.decided, fast.first, fast.last))
    naive_decided, naive_last = statistics.median(naive.decided), statistics.median(naive.last)
    eval_median, sweep_median = statistics.median(ev.times), statistics.median(sweep.times)
    print()
    print(f"positions {args.positions}, liquidatable after the notification {args.at_risk}, "
          f"liquidations succeeded {succeeded}")
    print(f"notification -> FIRST liquidation sent (the decision), engine: median {ms(decided)}  "
          f"[min {ms(min(fast.decided))}, max {ms(max(fast.decided))}, {len(fast.decided)} rounds]  "
          f"goal <= 10 ms: {met(decided <= 0.010)}")
    print(f"   (sent = handed to the PXE; the dev PXE acknowledged it, having run the liquidation, "
          f"at median {ms(first)} [min {ms(min(fast.first))}])")
    print(f"notification -> LAST liquidation sent, engine:               median {ms(last)}  "
          f"[min {ms(min(fast.last))}, max {ms(max(fast.last))}] (acknowledged)")
    print(f"naive path (pull all over HTTP + Decimal, same sends): first {ms(naive_decided)}, last {ms(naive_last)}  "
          f"[{len(naive.last)} rounds]")
    print(f"speed-up over the naive path: first {naive_decided / decided:.0f}x, last {naive_last / last:.0f}x  "
          f"goal >= 100x: {met(min(naive_decided / decided, naive_last / last) >= 100)}")
    print(f"sending {args.at_risk} liquidations (bundled: authwits, proveTx, hash recorded, sendProvenTx; dev PXE, no cost model): "
          f"{ms(last - first)} after the first, {ms((last - first) / max(1, args.at_risk - 1))} per liquidation")
    print(f"full sweep of {sweep.checked} positions (the engine's scheduled check): median {ms(sweep_median)} "
          f"[{len(sweep.times)} runs]; SWEEP_INTERVAL {sweep.interval:g} s: {met(sweep_median < sweep.interval)} "
          f"({sweep_median / sweep.interval:.4f} of it)")
    print(f"evaluate {ev.positions} positions (exact ints, cached interest): median {ms(eval_median)} "
          f"({ev.checked} checked, {ev.found} liquidatable)")
    print(f"evaluate {ev.positions} positions with Decimal from wire strings: {ms(ev.decimal_time)} "
          f"({ev.naive_found} liquidatable; {ev.decimal_time / eval_median:.1f}x slower)")
