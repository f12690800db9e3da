"""Garbage-collector policy for services holding a million long-lived objects.

Positions hold no reference cycles, so reference counting frees them; the cyclic collector only
has to be kept from walking all of them again and again: paused while a burst allocates (a start-up
load, a check), and the survivors of a load frozen out of its scans.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def collect_young() -> None:
    """While paused: free the short-lived cycles of one step (an HTTP response, say) without walking
    the long-lived objects the previous steps made, which have left the youngest generation."""
    gc.collect(0)


def freeze_long_lived() -> None:
    """Collect once, then move everything alive out of the collector's scans (it stays alive anyway)."""
    gc.collect()
    gc.freeze()
