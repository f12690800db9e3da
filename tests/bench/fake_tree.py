"""A source tree of stand-in bench modules, so the runners are tested on real processes in seconds."""

from __future__ import annotations

import textwrap
from pathlib import Path


def sized(name: str, option: str) -> str:
    """A bench that takes one sizing option and prints what it was given."""
    return textwrap.dedent(f"""
        import argparse
        parser = argparse.ArgumentParser(prog="python -m bench.{name}")
        parser.add_argument("{option}", type=int, default=1)
        parser.add_argument("--full", action="store_true")
        args = parser.parse_args()
        print("{name} ran with", vars(args))
    """)


FAILING = textwrap.dedent("""
    import argparse
    argparse.ArgumentParser().parse_args()
    raise RuntimeError("this bench is broken")
""")


def write_tree(root: Path, modules: dict[str, str]) -> Path:
    """`root`/bench with an empty __init__.py and each module's source; the other packages the import
    check wants (services, shared) are left empty."""
    for package in ("bench", "services", "shared"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("")
    for name, source in modules.items():
        (root / "bench" / f"{name}.py").write_text(source)
    return root
