"""Ask every configured source at once; one source failing never costs the others' quotes.

A source is one vote, never a veto (issue 21): its whole fetch, retries included, is bounded by one
deadline, so a source that trickles its answer (a byte every few seconds passes any per-read timeout)
fails this cycle and the others' quotes go on at the deadline. A source that answers but prices none of
the symbols it was asked for, saying why for each (a 200 with a body that holds no usable price), failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.price_service.sources.base import PriceFetchError, PriceSource, Quote


@dataclass
class Gathered:
    """One cycle's answers: what `consensus.combine` takes, plus what went wrong per source."""

    quotes: dict[str, dict[str, Quote]] = field(default_factory=dict)  # every source, {} when it failed
    errors: dict[str, PriceFetchError] = field(default_factory=dict)  # sources whose request failed
    rejected: dict[str, dict[str, str]] = field(default_factory=dict)  # source -> symbol -> why not priced


async def fetch_all(sources: Sequence[PriceSource], symbols: list[str], timeout: float | None = None) -> Gathered:
    """Every source's quotes for `symbols`, fetched concurrently, each within `timeout` seconds."""
    outcomes = await asyncio.gather(*(_fetch_one(source, symbols, timeout) for source in sources))
    gathered = Gathered()
    for source, outcome in zip(sources, outcomes, strict=True):
        rejected = getattr(source, "last_rejected", None)
        rejected = dict(rejected) if isinstance(rejected, dict) else {}
        if not isinstance(outcome, PriceFetchError) and not outcome and rejected:
            first = sorted(rejected)[0]
            outcome = PriceFetchError(source.name, f"answered without a usable price ({first}: {rejected[first]})")
        if isinstance(outcome, PriceFetchError):
            gathered.quotes[source.name] = {}
            gathered.errors[source.name] = outcome
        else:
            gathered.quotes[source.name] = outcome
            if rejected:
                gathered.rejected[source.name] = rejected
    return gathered


async def _fetch_one(source: PriceSource, symbols: list[str], timeout: float | None) -> dict[str, Quote] | PriceFetchError:
    try:
        return await asyncio.wait_for(source.fetch(symbols), timeout)
    except TimeoutError:
        return PriceFetchError(source.name, f"no answer within {timeout:g} s (SOURCE_TIMEOUT): left for this cycle")
    except PriceFetchError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - a bug in one source must not stop the others
        # Only the type name: an unexpected exception's text could carry anything.
        return PriceFetchError(source.name, f"unexpected {type(exc).__name__}")
