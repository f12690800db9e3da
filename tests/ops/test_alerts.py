"""ops/prometheus/alerts.yml: well-formed, true to the services' metrics, and unit-tested by promtool.

The static checks run everywhere. The promtool checks (`check rules`, `check config`, `test rules`)
need promtool on PATH (Debian's `prometheus` package; .ci/run installs it) and are skipped without it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.fixtures.paths import REPO
from tests.ops.promql import JOBS, check, metric_names

OPS = REPO / "ops" / "prometheus"
RULES = OPS / "alerts.yml"
CONFIG = OPS / "prometheus.yml"
UNIT_TESTS = sorted(OPS.glob("*_test.yml"))
RUNBOOK = (REPO / "RUNBOOK.md").read_text()
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not on PATH: install Debian's prometheus package "
           "(apt-get install --no-install-recommends prometheus) to check and unit-test the alert rules")


def rules() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def alerts() -> dict[str, dict]:
    found: dict[str, dict] = {}
    for rule in rules():
        assert "alert" in rule, f"only alerting rules here: {rule}"
        assert rule["alert"] not in found, f"{rule['alert']} defined twice"
        found[rule["alert"]] = rule
    return found


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#{1,6} +(.+?) *$", markdown, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_the_rules_cover_what_operators_asked_for() -> None:
    names = set(alerts())
    asked = {
        "PriceServiceDown", "NoteMonitorDown", "LiquidationEngineDown",  # a service down
        "PriceFetchStale", "PriceOnchainUpdateOverdue", "PriceSourcesDisagree", "PriceUpdaterBalanceLow",
        "LiquidationFailureRateHigh", "NoteMonitorPxeUnreachable", "LiquidationEnginePxeUnreachable",
        "LiquidationEngineOracleUnreadable", "LiquidationEngineStalePrices", "PriceUpdatePendingTooLong",
        "PricePollLoopStalled", "PriceRpcFailovers",
    }
    assert sorted(asked - names) == []


@pytest.mark.parametrize("name", sorted(alerts()))
def test_each_alert_has_for_severity_and_annotations(name: str) -> None:
    rule = alerts()[name]
    assert re.fullmatch(r"\d+[smh]", str(rule.get("for", ""))), f"{name}: a `for:` duration"
    assert rule.get("labels", {}).get("severity") in {"critical", "warning"}
    annotations = rule.get("annotations", {})
    assert {"summary", "description", "runbook"} <= set(annotations)
    assert all(str(annotations[k]).strip() for k in ("summary", "description"))


@pytest.mark.parametrize("name", sorted(alerts()))
def test_each_runbook_link_names_a_runbook_section(name: str) -> None:
    link = alerts()[name]["annotations"]["runbook"]
    match = re.fullmatch(r"RUNBOOK\.md#([a-z0-9-]+)", link)
    assert match, f"{name}: runbook must be RUNBOOK.md#<section>, not {link}"
    assert match.group(1) in anchors(RUNBOOK), f"{name}: RUNBOOK.md has no section #{match.group(1)}"


@pytest.mark.parametrize("name", sorted(alerts()))
def test_each_expression_names_only_what_the_services_expose(name: str) -> None:
    expr = alerts()[name]["expr"]
    assert metric_names(expr) or "up{" in expr or "absent(up" in expr, f"{name} queries none of the suite's series"
    assert check(expr) == []


def test_the_down_alerts_use_the_documented_job_names() -> None:
    down = {re.search(r'job="([^"]+)"', a["expr"]).group(1)  # type: ignore[union-attr]
            for a in alerts().values() if re.fullmatch(r'up\{job="[^"]+"\} == 0', a["expr"].strip())}
    assert down == set(JOBS)
    config = yaml.safe_load(CONFIG.read_text())
    assert {job["job_name"] for job in config["scrape_configs"]} == set(JOBS)
    assert config["rule_files"] == ["alerts.yml"]


def test_every_alert_is_unit_tested_firing_and_quiet() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in UNIT_TESTS:
        spec = yaml.safe_load(path.read_text())
        assert spec["rule_files"] == ["alerts.yml"], path.name
        for test in spec["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else quiet).add(case["alertname"])
    assert UNIT_TESTS, "no promtool unit tests"
    assert sorted(set(alerts()) - firing) == [], "alerts no test makes fire"
    assert sorted(set(alerts()) - quiet) == [], "alerts no test shows quiet"
    assert sorted((firing | quiet) - set(alerts())) == [], "tests of alerts that do not exist"


def promtool(*args: str | Path) -> str:
    done = subprocess.run([PROMTOOL, *map(str, args)], cwd=OPS, capture_output=True, text=True, timeout=120)  # type: ignore[list-item]
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


@needs_promtool
def test_promtool_check_rules() -> None:
    assert f"SUCCESS: {len(rules())} rules found" in promtool("check", "rules", RULES)


@needs_promtool
def test_promtool_check_config() -> None:
    assert "SUCCESS" in promtool("check", "config", CONFIG)


@needs_promtool
def test_promtool_unit_tests() -> None:
    output = promtool("test", "rules", *UNIT_TESTS)
    assert output.count("SUCCESS") == len(UNIT_TESTS), output
