"""Every metric the Grafana dashboard and the Prometheus alert rules query is exported by
the worker; the rules and the dashboard are well formed. Reads deploy/ only; promtool's
own checks run too when it is installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

import streams.ops.metrics  # registers the worker's metrics
from tests import external_tools

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD_DIR = ROOT / "deploy" / "grafana" / "dashboards"
DASHBOARD = DASHBOARD_DIR / "screening.json"
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
ALERTS = PROMETHEUS_DIR / "alerts.yml"

# Series Prometheus records itself for every scrape target; the worker cannot export them.
PROMETHEUS_SERIES = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
# What the fraud desk console exports on its own /metrics (the contract's names), for the
# console's alert rules.
CONSOLE_SERIES = frozenset(
    {"screening_holds_open", "screening_hold_oldest_open_age_seconds", "screening_holds_past_sla"}
)

# Grafana's variables, replaced by representative values before parsing.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "1m",
    "$__range": "1h",
    "$member": ".*",
    "${member}": ".*",
}

# --- a small PromQL reader: which metric names does an expression select? ---------------

_TOKEN = re.compile(
    r"""
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<number>[0-9][0-9a-zA-Z_.]*|\.[0-9][0-9a-zA-Z_.]*)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>=~|!~|!=|==|>=|<=|[-+*/%^=<>(){}\[\],@])
  | (?P<space>\s+)
    """,
    re.VERBOSE,
)
# Keywords and modifiers that are not metric names; `by (...)`-style keywords are
# followed by a list of label names.
KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan"})
LABEL_LIST_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})


class PromQLError(ValueError):
    """An expression this reader cannot tokenise or whose brackets do not balance."""


def tokens(expr: str) -> list[tuple[str, str]]:
    """(kind, text) of every token but whitespace."""
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(expr):
        match = _TOKEN.match(expr, position)
        if match is None:
            raise PromQLError(f"cannot read {expr[position : position + 20]!r} in {expr!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            found.append((kind, match.group()))
        position = match.end()
    return found


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects: identifiers outside label matchers, range
    brackets and label lists that are not functions, aggregations or keywords; plus any
    `__name__="..."` matcher. Raises PromQLError on unbalanced brackets."""
    toks = tokens(expr)
    names: set[str] = set()
    depth = {"{": 0, "[": 0}
    closing = {"}": "{", "]": "["}
    parens = 0
    label_list_at: int | None = None  # paren depth of an open by (...) list
    expect_label_list = False
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        nxt = toks[i + 1][1] if i + 1 < len(toks) else ""
        if text in depth:
            depth[text] += 1
        elif text in closing:
            depth[closing[text]] -= 1
            if depth[closing[text]] < 0:
                raise PromQLError(f"unbalanced {text!r} in {expr!r}")
        elif text == "(":
            parens += 1
            if expect_label_list:
                label_list_at, expect_label_list = parens, False
        elif text == ")":
            if label_list_at == parens:
                label_list_at = None
            parens -= 1
            if parens < 0:
                raise PromQLError(f"unbalanced ')' in {expr!r}")
        elif depth["{"]:
            if text == "__name__" and nxt in ("=",) and i + 2 < len(toks):
                names.add(toks[i + 2][1].strip("\"'`"))
        elif kind == "ident" and not depth["["] and label_list_at is None:
            lowered = text.lower()
            if lowered in LABEL_LIST_KEYWORDS:
                expect_label_list = True
            elif lowered not in KEYWORDS and nxt.lower() not in ("(", "by", "without"):
                # Followed by "(" it is a function; by "by"/"without", an aggregation.
                names.add(text)
        i += 1
    if parens or any(depth.values()):
        raise PromQLError(f"unbalanced brackets in {expr!r}")
    return names


def grafana_expr(expr: str) -> str:
    """A dashboard expression with Grafana's variables replaced."""
    for variable, value in sorted(GRAFANA_VARIABLES.items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(variable, value)
    if "$" in re.sub(r'"[^"]*"', "", expr):
        raise PromQLError(f"unknown Grafana variable in {expr!r}")
    return expr


# --- what the worker exports ------------------------------------------------------------


@cache
def exported_names() -> frozenset[str]:
    """Every sample name the worker's registry can produce (families without children
    included), with the suffixes Prometheus sees."""
    assert streams.ops.metrics.DECISIONS is not None
    names: set[str] = set()
    for family in REGISTRY.collect():
        base = family.name
        suffixes = {
            "counter": ["_total", "_created"],
            "histogram": ["_bucket", "_sum", "_count", "_created"],
            "summary": ["", "_sum", "_count", "_created"],
            "info": ["_info"],
            "gaugehistogram": ["_bucket", "_gsum", "_gcount"],
        }.get(family.type, [""])
        names.update(base + suffix for suffix in suffixes)
        names.update(sample.name for sample in family.samples)
    return frozenset(names)


# --- what the dashboard and rules query -------------------------------------------------


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def panels(container: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in rows."""
    for panel in container.get("panels", []):
        yield panel
        yield from panels(panel)


def dashboard_queries(board: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, PromQL) of every panel target and template variable query."""
    for panel in panels(board):
        for target in panel.get("targets", []):
            if target.get("expr"):
                yield f"panel {panel.get('title')!r}", grafana_expr(target["expr"])
    for variable in board.get("templating", {}).get("list", []):
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or "")
        match = re.fullmatch(r"\s*label_values\((.*),\s*[a-zA-Z_]\w*\s*\)\s*", text)
        if variable.get("type") == "query":
            assert match, f"variable {variable['name']}: unexpected query {text!r}"
            yield f"variable {variable['name']!r}", grafana_expr(match.group(1))


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def unknown_metrics(queries: list[tuple[str, str]]) -> list[str]:
    """`where: name` for every metric a query selects that nobody exports."""
    known = exported_names() | PROMETHEUS_SERIES
    return [
        f"{where}: {name}"
        for where, expr in queries
        for name in sorted(metric_names(expr))
        if name not in known
    ]


# --- the PromQL reader itself -----------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("up", {"up"}),
        ('up{job="screening-worker"} == 0', {"up"}),
        (
            'histogram_quantile(0.99, sum by (le) (rate(x_bucket{job="a", le!="+Inf"}[5m])))',
            {"x_bucket"},
        ),
        ("time() - max(y_seconds > 0)", {"y_seconds"}),
        (
            'sum by (member) (label_replace(z, "member", "$1", "topic", "payments\\\\.(.+)"))',
            {"z"},
        ),
        ("sum(a) by (member) / on (member) group_left(topic) b", {"a", "b"}),
        ("a and on (member) sum(increase(b[1h] offset 5m)) > 0", {"a", "b"}),
        ("count(count by (version) (v_info))", {"v_info"}),
        ('{__name__="by_name", job="x"}', {"by_name"}),
        ("absent(up == 1)", {"up"}),
        ("rate(c_total[5m:30s]) * 1e3 + 0.5", {"c_total"}),
        ("sum without (instance) (g) unless bool_metric", {"g", "bool_metric"}),
    ],
)
def test_metric_names_reads_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


@pytest.mark.parametrize("expr", ["sum(rate(x[5m])", 'x{a="b"', "x[5m"])
def test_metric_names_rejects_unbalanced_expressions(expr: str) -> None:
    with pytest.raises(PromQLError):
        metric_names(expr)


def test_an_unknown_metric_in_a_dashboard_is_reported() -> None:
    board = {
        "panels": [
            {
                "title": "typo",
                "targets": [{"expr": "sum(rate(screening_decision_total[$__rate_interval]))"}],
            },
            {"type": "row", "panels": [{"title": "nested", "targets": [{"expr": "nope_total"}]}]},
        ]
    }
    assert unknown_metrics(list(dashboard_queries(board))) == [
        "panel 'typo': screening_decision_total",
        "panel 'nested': nope_total",
    ]


def test_exported_names_include_suffixes_and_empty_families() -> None:
    names = exported_names()
    assert "screening_decisions_total" in names
    assert {
        "screening_decision_latency_seconds_bucket",
        "screening_decision_latency_seconds_count",
        "screening_decision_latency_seconds_sum",
    } <= names
    assert "screening_watchlist_version_info" in names
    # A labelled gauge with no child yet still counts as exported.
    assert "screening_consumer_lag_messages" in names


# --- the dashboard ----------------------------------------------------------------------


def test_every_dashboard_query_uses_exported_metrics() -> None:
    queries = list(dashboard_queries(dashboard()))
    assert len(queries) >= 20
    assert unknown_metrics(queries) == []
    for where, expr in queries:
        assert metric_names(expr), f"{where} selects no metric: {expr}"


def test_every_dashboard_file_is_checked() -> None:
    """New dashboards dropped into the provisioned folder must be covered by this test."""
    assert sorted(p.name for p in DASHBOARD_DIR.glob("*.json")) == [DASHBOARD.name]


def test_dashboard_covers_what_operators_need() -> None:
    board = dashboard()
    titles = [p.get("title", "") for p in panels(board)]
    types = {p.get("title"): p.get("type") for p in panels(board)}
    needed = [
        "Payments consumed per member",
        "Decisions per member",
        "Decisions by kind",
        "Decision latency (heatmap)",
        "Decision latency percentiles",
        "Consumer lag per topic",
        "Dead letters by reason",
        "Watchlist age",
        "Reasons by code and rule",
        "Watchlist hits by source",
    ]
    missing = [t for t in needed if t not in titles]
    assert missing == []
    assert types["Decision latency (heatmap)"] == "heatmap"
    exprs = " ".join(expr for _, expr in dashboard_queries(board))
    for quantile in ("0.5", "0.95", "0.99"):
        assert f"histogram_quantile({quantile}," in exprs


def test_dashboard_is_well_formed_for_provisioning() -> None:
    board = dashboard()
    assert board["uid"] and board["title"] and "id" not in board
    ids = [p["id"] for p in panels(board)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    occupied: set[tuple[int, int]] = set()
    for panel in panels(board):
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & occupied, f"{panel['title']!r} overlaps another panel"
        occupied |= cells
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            for target in panel["targets"]:
                assert target["datasource"] == panel["datasource"]
                assert target["refId"]


def test_dashboard_selects_the_worker_job() -> None:
    for where, expr in dashboard_queries(dashboard()):
        for name in metric_names(expr):
            assert re.search(re.escape(name) + r'\{[^}]*job="screening-worker"', expr), (
                f'{where}: {name} is not limited to job="screening-worker"'
            )


# --- the alert rules --------------------------------------------------------------------

REQUIRED_ALERTS = {
    "ScreeningWorkerDown",
    "ScreeningConsumerLagGrowing",
    "ScreeningLatencyOverBudget",
    "ScreeningDeadLetterRate",
    "ScreeningWatchlistStale",
    "ScreeningMemberNoDecisions",
}


def test_every_alert_rule_uses_exported_metrics() -> None:
    worker = [r for r in alert_rules() if "screening-console" not in r["expr"]]
    queries = [(f"alert {r['alert']}", r["expr"]) for r in worker]
    assert unknown_metrics(queries) == []


def test_console_alert_rules_use_the_consoles_metrics() -> None:
    console = [r for r in alert_rules() if "screening-console" in r["expr"]]
    assert [r["alert"] for r in console] == ["ScreeningHoldsPastSLA"]
    for rule in console:
        assert metric_names(rule["expr"]) <= CONSOLE_SERIES, rule["alert"]


def test_alert_rules_cover_the_issue_and_are_documented() -> None:
    rules = alert_rules()
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names))
    assert set(names) >= REQUIRED_ALERTS
    for rule in rules:
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "0s")), rule["alert"]


def test_latency_alert_uses_the_35_ms_budget() -> None:
    (rule,) = [r for r in alert_rules() if r["alert"] == "ScreeningLatencyOverBudget"]
    assert "histogram_quantile(0.99," in rule["expr"]
    assert rule["expr"].rstrip().endswith("> 0.035")
    assert 0.035 in streams.ops.metrics.LATENCY_BUCKETS, "the budget must be a bucket boundary"


def test_no_decisions_alert_looks_at_five_minutes() -> None:
    (rule,) = [r for r in alert_rules() if r["alert"] == "ScreeningMemberNoDecisions"]
    assert "increase(screening_decisions_total" in rule["expr"] and "[5m]" in rule["expr"]


# --- promtool, when installed -----------------------------------------------------------

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    external_tools.record("promtool")
    return subprocess.run(
        [PROMTOOL, *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True, check=False
    )


@needs_promtool
def test_promtool_accepts_the_compose_config_and_rules() -> None:
    for args in (("check", "config", "prometheus.yml"), ("check", "rules", "alerts.yml")):
        result = promtool(*args)
        assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_alert_rules_fire_as_their_unit_tests_expect() -> None:
    result = promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rule_tests_cover_every_alert() -> None:
    tests = yaml.safe_load((PROMETHEUS_DIR / "alerts_test.yml").read_text())["tests"]
    tested = {case["alertname"] for t in tests for case in t.get("alert_rule_test", [])}
    assert tested == {r["alert"] for r in alert_rules()}
