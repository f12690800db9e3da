"""Helpers for the source tests: recorded-shape answers and the clock they were recorded at."""

from __future__ import annotations

import httpx

NOW = 1_731_622_420.0  # 2024-11-14T22:13:40Z


def reply(status: int, text: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=text.encode(), headers={"Content-Type": "application/json", **(headers or {})})
