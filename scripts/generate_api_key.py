"""Print a new random API key for LIQUIDATION_API_KEY.

    python scripts/generate_api_key.py --length 64
"""

from __future__ import annotations

import argparse
import secrets
import string
import sys

MIN_LENGTH = 32
ALPHABET = string.ascii_letters + string.digits


def generate(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a new random API key.")
    parser.add_argument("--length", type=int, default=64, help=f"characters (default 64, minimum {MIN_LENGTH})")
    args = parser.parse_args(argv)
    if args.length < MIN_LENGTH:
        print(f"--length must be at least {MIN_LENGTH}", file=sys.stderr)
        return 2
    print(generate(args.length))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
