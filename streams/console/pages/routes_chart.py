"""The routes chart: the desk's counts (holds, blocks and newly linked identifiers per day
and payment method) bucketed over a chosen period and laid out as line charts, one panel
per measure, for the page to draw as inline SVG (no script). Pure functions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from streams.reports.routes import MEASURES, METHODS, TITLES

# period → (days back, bucket): a day per point up to a month, an ISO week beyond.
PERIODS: dict[str, tuple[int | None, str]] = {
    "7d": (7, "day"),
    "30d": (30, "day"),
    "13w": (91, "week"),
    "52w": (364, "week"),
    "all": (None, "week"),
}
PERIOD_LABELS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "13w": "Last 13 weeks",
    "52w": "Last 52 weeks",
    "all": "Everything",
}
DEFAULT_PERIOD = "30d"
# Okabe-Ito: told apart by people with colour-vision deficiencies.
COLOURS = dict(
    zip(METHODS, ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#555555"), strict=True)
)
WIDTH, HEIGHT = 360, 210
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 44
MAX_X_LABELS = 6


@dataclass
class Series:
    """One payment method's line in a panel."""

    method: str
    colour: str
    points: str
    dots: list[tuple[float, float, int, str]]


@dataclass
class Panel:
    """One measure's chart: axes, ticks and a line per method with any count."""

    measure: str
    title: str
    total: int
    y_ticks: list[tuple[float, int]]
    x_labels: list[tuple[float, str]]
    series: list[Series] = field(default_factory=list)


@dataclass
class Chart:
    """Every panel, the legend and the table the chart draws."""

    period: str
    buckets: list[str]
    panels: list[Panel]
    legend: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM


def since_day(period: str, today: date) -> str | None:
    """The first day (YYYY-MM-DD) of the period, None for everything."""
    days = PERIODS[period][0]
    return None if days is None else (today - timedelta(days=days - 1)).isoformat()


def bucket_of(day: str, unit: str) -> str:
    """A day's bucket: the day itself, or its ISO week `YYYY-Www`."""
    if unit == "day":
        return day
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def buckets(first: date, last: date, unit: str) -> list[str]:
    """Every bucket from `first` to `last`, zeros included (a line has no gaps)."""
    found: list[str] = []
    day = first
    while day <= last:
        name = bucket_of(day.isoformat(), unit)
        if not found or found[-1] != name:
            found.append(name)
        day += timedelta(days=1)
    return found


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= step * 4:
            return max(step * ((value + step - 1) // step), step)
    return value


def chart(documents: list[dict[str, Any]], period: str, today: date) -> Chart:
    """Consumes the desk's `{"day", "method", "measure", "count"}` documents; produces the
    chart of the period ending `today`."""
    days_back, unit = PERIODS[period]
    counts: Counter[tuple[str, str, str]] = Counter()
    days = [str(d["day"]) for d in documents]
    for document in documents:
        key = (bucket_of(str(document["day"]), unit), str(document["method"]), document["measure"])
        counts[key] += int(document["count"])
    first = (
        today - timedelta(days=days_back - 1)
        if days_back is not None
        else date.fromisoformat(min(days, default=today.isoformat()))
    )
    names = buckets(
        first, max(today, date.fromisoformat(max(days, default=first.isoformat()))), unit
    )
    panels = [_panel(measure, names, counts) for measure in MEASURES]
    used = [m for m in METHODS if any(counts[(b, m, k)] for b in names for k in MEASURES)]
    rows = [
        {"bucket": b, "method": m, **{k: counts[(b, m, k)] for k in MEASURES}}
        for b in names
        for m in METHODS
        if any(counts[(b, m, k)] for k in MEASURES)
    ]
    return Chart(period, names, panels, [(m, COLOURS[m]) for m in used], rows)


def _panel(measure: str, names: list[str], counts: Counter[tuple[str, str, str]]) -> Panel:
    top = _nice_max(max((counts[(b, m, measure)] for b in names for m in METHODS), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w / 2 if len(names) == 1 else i * plot_w / (len(names) - 1))

    def y(value: int) -> float:
        return TOP + plot_h - value * plot_h / top

    every = max(1, -(-len(names) // MAX_X_LABELS))
    panel = Panel(
        measure,
        TITLES[measure],
        sum(counts[(b, m, measure)] for b in names for m in METHODS),
        [(round(y(v), 1), v) for v in (0, top // 2, top)] if top > 1 else [(y(0), 0), (y(1), 1)],
        [(round(x(i), 1), _short(b)) for i, b in enumerate(names) if i % every == 0],
    )
    for method in METHODS:
        values = [counts[(b, method, measure)] for b in names]
        if not any(values):
            continue
        dots = [(round(x(i), 1), round(y(v), 1), v, names[i]) for i, v in enumerate(values)]
        points = " ".join(f"{px},{py}" for px, py, _, _ in dots)
        panel.series.append(Series(method, COLOURS[method], points, dots))
    return panel


def _short(bucket: str) -> str:
    """An axis label: `12-07` for a day, `W49` for a week."""
    return bucket.split("-", 1)[1] if "-W" in bucket else bucket[5:]
