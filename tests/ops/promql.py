"""What the ops files may query: the series the services really expose, read from their metrics classes.

Never a copied list, so it cannot drift: a renamed metric or label fails the alert and dashboard tests.
`check(expr)` lists what is wrong with one PromQL expression (unknown series, label or label value).
"""

from __future__ import annotations

import re
from functools import cache

from prometheus_client.metrics import MetricWrapperBase

from services.liquidation_engine.metrics import EngineMetrics
from services.note_monitor.metrics import MonitorMetrics
from services.price_service.metrics import PriceMetrics
from tests.fixtures.paths import REPO

JOBS = ("price-service", "note-monitor", "liquidation-engine")
SCRAPE_LABELS = {"job", "instance"}  # added by Prometheus to every series it scrapes
PREFIXES = ("price_service_", "note_monitor_", "liquidation_engine_")
NAME = re.compile(r"(?<![A-Za-z0-9_:])((?:price_service|note_monitor|liquidation_engine)_[a-z0-9_]+)")
SELECTOR = re.compile(r"(?<![A-Za-z0-9_:])([a-z_][a-z0-9_]*)\s*\{([^}]*)\}")
MATCHER = re.compile(r'([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"([^"]*)"')
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")


def _wrappers() -> list[MetricWrapperBase]:
    """The metric objects of the three metrics classes; checked against what their registries collect."""
    monitor = MonitorMetrics()
    owners = (PriceMetrics(), monitor, EngineMetrics())
    wrappers = [v for owner in owners for v in vars(owner).values() if isinstance(v, MetricWrapperBase)]
    registries = (owners[0].registry, monitor.metrics.registry, owners[2].registry)
    families = {family.name for registry in registries for family in registry.collect()}
    assert families == {w.describe()[0].name for w in wrappers}, "a metric is not an attribute of its class"
    return wrappers


@cache
def exposed() -> dict[str, frozenset[str]]:
    """Every series name on GET /metrics of the three services -> its label names (scrape labels included)."""
    series: dict[str, frozenset[str]] = {}
    for metric in _wrappers():
        (family,) = metric.describe()
        labels = frozenset(metric._labelnames) | SCRAPE_LABELS  # noqa: SLF001 - no public accessor
        suffixes = {"counter": ("_total", "_created"), "gauge": ("",),
                    "histogram": ("_bucket", "_sum", "_count", "_created")}[family.type]
        for suffix in suffixes:
            series[family.name + suffix] = labels | {"le"} if suffix == "_bucket" else labels
    return series


@cache
def quoted_strings() -> frozenset[str]:
    """Every string literal in the services' and shared code: where label values come from."""
    found: set[str] = set()
    for folder in ("services", "shared"):
        for path in (REPO / folder).rglob("*.py"):
            found.update(re.findall(r"""["']([a-z][a-z0-9_-]*)["']""", path.read_text()))
    return frozenset(found)


def metric_names(expr: str) -> set[str]:
    return set(NAME.findall(expr))


def check(expr: str) -> list[str]:
    """Problems in one expression; empty when every series, label and label value it names exists."""
    known = exposed()
    problems = [f"unknown series {name}" for name in sorted(metric_names(expr)) if name not in known]
    used_labels: set[str] = set()
    for name, matchers in SELECTOR.findall(expr):
        labels = known.get(name, SCRAPE_LABELS if name == "up" else frozenset())
        for label, op, value in MATCHER.findall(matchers):
            used_labels.add(label)
            if label not in labels:
                problems.append(f"{name} has no label {label}")
            elif label == "job":
                if op in ("=", "!=") and value not in JOBS:
                    problems.append(f"unknown job {value}")
            elif label != "instance":
                for alternative in (value.split("|") if op in ("=~", "!~") else [value]):
                    if alternative not in quoted_strings() and alternative != ".+":
                        problems.append(f"{name}: {label} value {alternative!r} is not in the code")
    in_expr = set().union(*(known.get(n, frozenset()) for n in metric_names(expr))) | SCRAPE_LABELS | {"le"}
    for group in GROUPING.findall(expr):
        for label in (w.strip() for w in group.split(",") if w.strip()):
            if label not in in_expr:
                problems.append(f"grouping by {label}, a label none of the series has")
    return problems
