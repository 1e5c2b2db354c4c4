"""The routes report: per payment method and ISO week, blocked and held payments and newly
linked identifiers, so analysts see sellers moving between payment systems.

Consumes alerts (DECISION alerts carry the decision and method of every hold and block;
NEW_ROUTE alerts every newly linked identifier); produces a table and a chart."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from streams.extras import MissingExtra
from streams.model.json_lines import read_json_lines
from streams.model.payment import parse_timestamp

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METHODS = ("card", "bank_transfer", "wallet", "crypto", "prepaid", "other")
MEASURES = ("blocked", "held", "new_routes")


@dataclass
class RoutesReport:
    """Counts by (week, method, measure)."""

    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    @property
    def weeks(self) -> list[str]:
        """ISO weeks present, in order."""
        return sorted({week for week, _, _ in self.counts})

    def add(self, alert: dict[str, Any]) -> None:
        """Count one alert; other messages (decisions, unknown kinds) are ignored."""
        kind = alert.get("kind")
        if kind == "DECISION":
            measure = {"block": "blocked", "hold": "held"}.get(str(alert.get("decision")))
        elif kind == "NEW_ROUTE":
            measure = "new_routes"
        else:
            return
        if measure is None or not isinstance(alert.get("ts"), str):
            return
        year, week, _ = parse_timestamp(alert["ts"]).isocalendar()
        method = alert.get("method") if alert.get("method") in METHODS else "other"
        self.counts[(f"{year}-W{week:02d}", str(method), measure)] += 1

    def table(self) -> list[dict[str, Any]]:
        """Rows of week, method and each measure, for weeks x methods with any count."""
        rows = []
        for week in self.weeks:
            for method in METHODS:
                values = {m: self.counts[(week, method, m)] for m in MEASURES}
                if any(values.values()):
                    rows.append({"week": week, "method": method, **values})
        return rows


def build(alerts: Iterable[dict[str, Any]]) -> RoutesReport:
    """The report over a stream of alert documents."""
    report = RoutesReport()
    for alert in alerts:
        report.add(alert)
    return report


def read_alerts(path: Path) -> Iterable[dict[str, Any]]:
    """Alert documents from a JSON Lines export: bare alerts or `screening tail` lines
    (whose `value` holds the alert)."""
    for _, document in read_json_lines(path):
        if isinstance(document, dict) and isinstance(document.get("value"), dict):
            document = document["value"]
        if isinstance(document, dict):
            yield document


def format_table(report: RoutesReport) -> str:
    """The report as a terminal table."""
    lines = [f"{'week':<10}{'method':<15}{'blocked':>9}{'held':>7}{'new routes':>12}"]
    for row in report.table():
        lines.append(
            f"{row['week']:<10}{row['method']:<15}{row['blocked']:>9}{row['held']:>7}"
            f"{row['new_routes']:>12}"
        )
    if len(lines) == 1:
        lines.append("(no holds, blocks or new routes in the input)")
    return "\n".join(lines)


TITLES = {
    "blocked": "Blocked payments",
    "held": "Held payments",
    "new_routes": "Newly linked identifiers",
}


def chart(report: RoutesReport) -> Figure:
    """The chart as a matplotlib Figure: one panel per measure (titled from TITLES, in
    MEASURES order), one line per method with any count in it over the weeks, in one
    colour per method in every panel. MissingExtra without matplotlib (`tools` extra)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingExtra("matplotlib", "the routes chart (--png)") from None

    weeks = report.weeks
    figure = Figure(figsize=(15, 4.5))
    axes = figure.subplots(1, 3, sharex=True)
    for axis, measure in zip(axes, MEASURES, strict=True):
        for method in METHODS:
            series = [report.counts[(week, method, measure)] for week in weeks]
            if any(series):
                color = f"C{METHODS.index(method)}"  # one colour per method in every panel
                axis.plot(weeks, series, marker="o", label=method, color=color)
        axis.set_title(TITLES[measure])
        axis.set_xlabel("ISO week")
        axis.tick_params(axis="x", rotation=45)
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("count")
    handles, labels = [], []
    for axis in axes:
        for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    if handles:
        figure.legend(handles, labels, loc="lower center", ncol=len(METHODS), title="method")
    figure.suptitle("Payment routes of listed sellers")
    figure.tight_layout(rect=(0, 0.12, 1, 1))
    return figure


def write_png(report: RoutesReport, path: Path) -> None:
    """The chart of `chart` as a PNG file, with the table embedded in its Description text.
    MissingExtra without matplotlib (the `tools` extra)."""
    chart(report).savefig(
        path, format="png", metadata={"Description": orjson.dumps(report.table()).decode()}
    )
