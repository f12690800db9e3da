"""docs/metrics.md lists exactly the metrics each service registers, with their type and labels.

The registries come from the apps themselves (built on development settings, never started), so the
check does not depend on where the metrics modules live.
"""

from __future__ import annotations

import re

import pytest

from scripts.api_docs import SERVICES, build_app
from tests.fixtures.paths import REPO

PAGE = (REPO / "docs" / "metrics.md").read_text()


def registered(service_name: str) -> dict[str, tuple[str, set[str]]]:
    """Metric name as scraped (counters with _total) -> (type, label names)."""
    service = next(s for s in SERVICES if s.name == service_name)
    registry = build_app(service).state.metrics.registry
    found = {}
    for collector in list(registry._collector_to_names):  # noqa: SLF001 - the registry's own list
        name = collector._name + ("_total" if collector._type == "counter" else "")  # noqa: SLF001
        found[name] = (collector._type, set(collector._labelnames))  # noqa: SLF001
    return found


def documented(service_name: str) -> dict[str, tuple[str, set[str]]]:
    section = PAGE.split(f"\n## {service_name}\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| (\w+) \|([^|]*)\|", section, flags=re.M)
    # A label cell names each label first, its values after it in parentheses.
    return {name: (kind, set(re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", labels)))) for name, kind, labels in rows}


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
def test_the_page_lists_each_metric_with_its_type_and_labels(service: str) -> None:
    have, listed = registered(service), documented(service)
    assert len(have) >= 7
    assert sorted(set(have) - set(listed)) == [], "registered but not documented"
    assert sorted(set(listed) - set(have)) == [], "documented but not registered"
    assert {n: v for n, v in listed.items() if have[n] != v} == {}
