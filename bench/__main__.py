"""python -m bench [args]: runs every bench/bench_*.py module in turn, as `python -m bench.<name> [args]` would.

Each module prints its own figures; nothing here asserts a time.
"""

from __future__ import annotations

import pkgutil
import runpy
import sys
import time
from pathlib import Path


def main() -> None:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    args = sys.argv[1:]
    failed = []
    for name in names:
        print(f"== bench.{name}", flush=True)
        started = time.perf_counter()
        sys.argv = [f"bench.{name}", *args]
        try:
            runpy.run_module(f"bench.{name}", run_name="__main__", alter_sys=True)
        except SystemExit as exc:
            if exc.code not in (0, None):
                failed.append(name)
        except Exception as exc:  # one broken bench must not hide the others' figures
            print(f"   bench.{name} failed: {exc!r}", flush=True)
            failed.append(name)
        print(f"== bench.{name} done in {time.perf_counter() - started:.1f} s\n", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
