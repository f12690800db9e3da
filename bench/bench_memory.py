"""Memory and start-up figures, each service in a process of its own (bench/service_process.py).

    .venv/bin/python -m bench.bench_memory [--sizes 0,100000,1000000]

For each size: the note monitor's database is filled with that many registrations; the monitor starts
from it (time from launch to serving, the positions loaded) and keeps serving; the liquidation engine
starts and copies every position through the monitor's API. Each process reports its peak RSS
(ru_maxrss) and its RSS once it holds the book; size 0 is the baseline of the same processes holding
nothing, measured in the same run. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.dev_pxe import free_port
from devnet.suite import stop_process

GIB_KIB = 1024 * 1024
START_GOAL_S = 30


def launch(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bench.service_process", *args], stdout=subprocess.PIPE,
                            text=True)


def phase(proc: subprocess.Popen[str], name: str) -> dict[str, Any]:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("{") and (record := json.loads(line)).get("phase") == name:
            return dict(record)
    raise SystemExit(f"the process ended before '{name}' (exit {proc.wait()})")


def stop(proc: subprocess.Popen[str]) -> None:
    stop_process(proc, timeout=30)


def measure(size: int, tmp: Path) -> dict[str, dict[str, Any]]:
    database = str(tmp / f"monitor-{size}.db")
    seeding = launch("monitor", "--database", database, "--seed", str(size))
    seeded = phase(seeding, "seeded")
    seeding.wait()
    port = free_port()
    launched = time.monotonic()
    monitor = launch("monitor", "--database", database, "--port", str(port))
    try:
        serving = phase(monitor, "serving")
        serving["wall"] = time.monotonic() - launched
        total = httpx.get(f"http://127.0.0.1:{port}/positions", params={"limit": 1},
                          headers={"X-API-Key": "bench-key-9d3c1a7e5f2b4d6c8e0a1b3c5d7e9f2a"}, timeout=60).json()["total"]
        engine = launch("engine", "--monitor", f"http://127.0.0.1:{port}", "--database", str(tmp / f"engine-{size}.db"))
        built, running = phase(engine, "copy built"), phase(engine, "running")
        engine.wait()
        monitor_after = _peak_of(monitor.pid)
    finally:
        stop(monitor)
    return {"seeded": seeded, "monitor": {**serving, "served": total, "peakAfterCopyKiB": monitor_after},
            "engine": {**built, "running": running}}


def _peak_of(pid: int) -> int:
    """VmHWM: the peak RSS of a process still running (its ru_maxrss is only known to itself)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


def print_figures(size: int, m: dict[str, dict[str, Any]], base: dict[str, dict[str, Any]] | None) -> None:
    mon, eng = m["monitor"], m["engine"]
    print(f"-- {size} positions (database written in {m['seeded']['seconds']} s)")
    print(f"note-monitor: launch to serving {mon['wall']:.1f} s with {mon['positions']} positions loaded "
          f"({mon['served']} served)  goal <= {START_GOAL_S} s: {'met' if mon['wall'] <= START_GOAL_S else 'NOT met'}")
    print(f"note-monitor: RSS {mib(mon['rssKiB'])}, peak {mib(max(mon['peakKiB'], mon['peakAfterCopyKiB']))} "
          f"(peak while the engine copied)  goal <= 1 GiB: {'met' if mon['peakAfterCopyKiB'] <= GIB_KIB else 'NOT met'}")
    print(f"liquidation-engine: copy of {eng['positions']} positions built {eng['seconds']:.1f} s after launch; "
          f"RSS {mib(eng['running']['rssKiB'])}, peak {mib(eng['running']['peakKiB'])}  "
          f"goal <= 1 GiB: {'met' if eng['running']['peakKiB'] <= GIB_KIB else 'NOT met'}")
    if base is not None and size:
        for name, here, empty in (("note-monitor", mon["rssKiB"], base["monitor"]["rssKiB"]),
                                  ("liquidation-engine", eng["running"]["rssKiB"], base["engine"]["running"]["rssKiB"])):
            print(f"{name}: {(here - empty) * 1024 / size:.0f} bytes per position above the empty process "
                  f"({mib(empty)} holding nothing)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_memory")
    parser.add_argument("--sizes", default="0,100000,1000000")
    args = parser.parse_args()
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            figures = measure(size, Path(tmp))
            print_figures(size, figures, base)
            base = figures if size == 0 else base


if __name__ == "__main__":
    main()
