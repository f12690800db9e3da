"""Ask every configured source at once; one source failing never costs the others' quotes."""

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


async def fetch_all(sources: Sequence[PriceSource], symbols: list[str]) -> Gathered:
    """Every source's quotes for `symbols`, fetched concurrently."""
    outcomes = await asyncio.gather(*(_fetch_one(source, symbols) for source in sources))
    gathered = Gathered()
    for source, outcome in zip(sources, outcomes, strict=True):
        if isinstance(outcome, PriceFetchError):
            gathered.quotes[source.name] = {}
            gathered.errors[source.name] = outcome
        else:
            gathered.quotes[source.name] = outcome
        rejected = getattr(source, "last_rejected", None)
        if isinstance(rejected, dict) and rejected:
            gathered.rejected[source.name] = dict(rejected)
    return gathered


async def _fetch_one(source: PriceSource, symbols: list[str]) -> dict[str, Quote] | PriceFetchError:
    try:
        return await source.fetch(symbols)
    except PriceFetchError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - a bug in one source must not stop the others
        # Only the type name: an unexpected exception's text could carry anything.
        return PriceFetchError(source.name, f"unexpected {type(exc).__name__}")
