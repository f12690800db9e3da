"""ops/grafana/liquidator-suite.json: valid, importable anywhere (a datasource variable), and every query
names only series, labels and label values the services expose (tests/ops/promql.py reads them from
the metrics classes). With promtool on PATH each query is also parsed as PromQL.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.fixtures.paths import REPO
from tests.ops.promql import check, metric_names

DASHBOARD_PATH = REPO / "ops" / "grafana" / "liquidator-suite.json"
DASHBOARD = json.loads(DASHBOARD_PATH.read_text())
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
PROMTOOL = shutil.which("promtool")


def panels() -> list[dict]:
    found: list[dict] = []
    for panel in DASHBOARD["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))  # a collapsed row keeps its panels inside
    return found


def queries() -> list[tuple[str, str]]:
    return [(p["title"], t["expr"]) for p in panels() for t in p.get("targets", [])]


def test_it_is_a_dashboard_with_a_datasource_variable() -> None:
    assert DASHBOARD["uid"] and DASHBOARD["title"] and isinstance(DASHBOARD["schemaVersion"], int)
    variables = {v["name"]: v for v in DASHBOARD["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert "__inputs" not in DASHBOARD, "the datasource variable makes import prompts unnecessary"


def test_every_panel_and_query_uses_the_variable() -> None:
    for panel in panels():
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]
            assert target["expr"].strip() and target["refId"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]


def test_panels_have_unique_ids_and_fit_the_grid() -> None:
    ids = [p["id"] for p in panels()]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in panels():
        pos = panel["gridPos"]
        assert pos["w"] > 0 and pos["h"] > 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        area = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not area & cells, f"{panel['title']} overlaps another panel"
        cells |= area


@pytest.mark.parametrize(("title", "expr"), queries(), ids=[f"{t}:{e[:40]}" for t, e in queries()])
def test_every_query_names_only_what_the_services_expose(title: str, expr: str) -> None:
    assert check(expr) == [], title


def test_the_dashboard_shows_what_operators_asked_for() -> None:
    queried = set().union(*(metric_names(e) for _, e in queries()))
    wanted = {
        "price_service_onchain_updates_total", "price_service_onchain_update_failures_total",  # prices pushed, failures
        "price_service_fetches_total", "price_service_no_agreed_price_total",  # fetches, disagreements
        "price_service_push_pending_seconds", "price_service_updater_balance_ether",
        "price_service_last_onchain_update_timestamp",
        "liquidation_engine_check_duration_seconds_bucket", "liquidation_engine_reaction_latency_seconds_bucket",
        "liquidation_engine_liquidations_total", "liquidation_engine_positions_tracked",
        "liquidation_engine_oracle_up", "liquidation_engine_pxe_up", "note_monitor_pxe_up",
        "note_monitor_sync_duration_seconds_bucket", "note_monitor_escrows", "note_monitor_positions",
    }
    assert sorted(wanted - queried) == []
    assert any('up{job=~"price-service|note-monitor|liquidation-engine"}' in e for _, e in queries())


def test_each_histogram_is_shown_at_p50_and_p99() -> None:
    for _, expr in queries():
        for name in metric_names(expr):
            if name.endswith("_bucket"):
                shown = {q for _, e in queries() if name in e for q in re.findall(r"histogram_quantile\(([\d.]+)", e)}
                assert {"0.5", "0.99"} <= shown, name


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not on PATH: install Debian's prometheus package "
                                             "(apt-get install --no-install-recommends prometheus) to parse the queries")
def test_promtool_parses_every_query(tmp_path: Path) -> None:
    # Each query as a recording rule, Grafana's interval macro replaced by a real range.
    rules = [{"record": f"dashboard:query_{i}", "expr": expr.replace("$__rate_interval", "5m")}
             for i, (_, expr) in enumerate(queries())]
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, timeout=120)  # type: ignore[list-item]
    assert done.returncode == 0, done.stdout + done.stderr
