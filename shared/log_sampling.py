"""Sampling of log events that a client can repeat at will (a flood of requests, a fuzzer).

The first line of a kind is always written; after that at most LINES_PER_WINDOW lines of that
kind per WINDOW seconds, and the next line written says how many were left out (`suppressed`).
Only the events listed here are sampled: a burst of liquidations is never thinned out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import structlog

SAMPLED_EVENTS = frozenset({
    "Unauthorized",
    "Price update notification",
    "No liquidatable positions found",
    "Price change not significant",
    "Note sync started",
    "Note sync completed",
})
WINDOW = 1.0
LINES_PER_WINDOW = 5


class RepeatSampler:
    def __init__(self, events: frozenset[str] = SAMPLED_EVENTS, window: float = WINDOW,
                 lines_per_window: int = LINES_PER_WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.events = events
        self.window = window
        self.lines = lines_per_window
        self._clock = clock
        self._lock = threading.Lock()  # the dev PXE logs from a thread of its own in tests
        self._state: dict[str, list[float]] = {}  # event -> [window start, written in window, suppressed]

    def __call__(self, _logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event = event_dict.get("event")
        if event not in self.events:
            return event_dict
        now = self._clock()
        with self._lock:
            state = self._state.setdefault(str(event), [now, 0, 0])
            if now - state[0] >= self.window:
                state[0], state[1] = now, 0
            if state[1] >= self.lines:
                state[2] += 1
                raise structlog.DropEvent
            state[1] += 1
            if state[2]:
                event_dict["suppressed"] = int(state[2])
                state[2] = 0
        return event_dict
