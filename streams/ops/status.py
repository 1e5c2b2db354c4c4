"""The operator's one-screen summary behind `screening status`: scrape workers' /metrics
twice, a moment apart, and turn the samples into counts, rates, lag and watchlist state.

Pure apart from `scrape`; the command in streams/cli/status_cmd.py prints `render()`.
"""

from __future__ import annotations

import math
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

DEFAULT_URL = "http://127.0.0.1:6066/metrics"
DECISIONS = ("allow", "hold", "block")

Labels = Mapping[str, str]
Samples = dict[str, list[tuple[dict[str, str], float]]]


class StatusError(Exception):
    """A worker could not be scraped; the message is one line naming the URL."""


@dataclass(frozen=True)
class Scrape:
    """One worker's samples by sample name, and when they were taken (monotonic s)."""

    url: str
    samples: Samples
    at: float

    def values(self, name: str) -> list[tuple[dict[str, str], float]]:
        """Every (labels, value) of a sample name."""
        return self.samples.get(name, [])

    def value(self, name: str, default: float = 0.0, **labels: str) -> float:
        """The sum of the samples of `name` whose labels include `labels`."""
        found = [v for ls, v in self.values(name) if all(ls.get(k) == w for k, w in labels.items())]
        return sum(found) if found else default

    def label(self, name: str, key: str) -> str:
        """The value of label `key` on the first sample of `name` ("" if none)."""
        for ls, _ in self.values(name):
            return ls.get(key, "")
        return ""


def parse(url: str, text: str, at: float) -> Scrape:
    """Consumes Prometheus text exposition; produces a Scrape."""
    samples: Samples = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name].append((dict(sample.labels), float(sample.value)))
    return Scrape(url, dict(samples), at)


def scrape(url: str, timeout_s: float = 5.0) -> Scrape:
    """GET one worker's /metrics; raises StatusError with a one-line reason."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            text = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise StatusError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise StatusError(f"cannot reach {url}: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise StatusError(f"cannot reach {url}: {exc}") from None
    try:
        return parse(url, text, time.monotonic())
    except ValueError as exc:
        raise StatusError(f"{url} did not answer Prometheus metrics: {exc}") from None


@dataclass
class MemberRow:
    """One member's counts over every reachable worker."""

    member: str
    consumed: float = 0.0
    decided: dict[str, float] = field(default_factory=lambda: dict.fromkeys(DECISIONS, 0.0))
    dead_letters: float = 0.0
    decided_per_s: float = 0.0

    @property
    def total(self) -> float:
        """Decisions of every kind."""
        return sum(self.decided.values())


@dataclass
class WorkerRow:
    """One worker's own state."""

    url: str
    watchlist_version: str
    watchlist_entries: float
    watchlist_ready: bool
    partitions: float
    rebalances: float
    lag: float


@dataclass
class Summary:
    """Everything `screening status` prints."""

    workers: list[WorkerRow]
    members: list[MemberRow]
    lag_by_topic: dict[str, tuple[int, float]]
    watchlist_versions: list[str]
    watchlist_entries: float
    published_age_s: float | None
    applied_age_s: float | None
    rules: dict[str, float]
    dead_letters: dict[str, float]
    internal_errors: dict[str, float]
    latency_ms: dict[str, float | None]
    window_s: float


def summarise(first: Sequence[Scrape], second: Sequence[Scrape], now: float) -> Summary:
    """Consumes two scrapes of the same workers (`second` is the later) and the wall time;
    produces the summary. Counts come from the later scrape, rates from the difference."""
    window = max((b.at - a.at for a, b in zip(first, second, strict=True)), default=0.0)
    members = _members(second)
    if window > 0:
        before = {row.member: row.total for row in _members(first)}
        for row in members:
            row.decided_per_s = max(0.0, row.total - before.get(row.member, 0.0)) / window
    lag: dict[str, tuple[int, float]] = {}
    for s in second:
        for ls, v in s.values("screening_consumer_lag_messages"):
            partitions, total = lag.get(ls.get("topic", ""), (0, 0.0))
            lag[ls.get("topic", "")] = (partitions + 1, total + v)
    versions = sorted({s.label("screening_watchlist_version_info", "version") for s in second})
    published = max(s.value("screening_watchlist_last_record_timestamp_seconds") for s in second)
    applied = max(s.value("screening_watchlist_last_update_timestamp_seconds") for s in second)
    return Summary(
        workers=[_worker(s) for s in second],
        members=members,
        lag_by_topic=dict(sorted(lag.items())),
        watchlist_versions=versions,
        watchlist_entries=max(s.value("screening_watchlist_entries") for s in second),
        published_age_s=max(0.0, now - published) if published > 0 else None,
        applied_age_s=max(0.0, now - applied) if applied > 0 else None,
        rules=_by_label(second, "screening_rules_loaded", "kind", total=False),
        dead_letters=_by_label(second, "screening_dead_letters_total", "reason"),
        internal_errors=_by_label(second, "screening_internal_errors_total", "kind"),
        latency_ms=_latency(first, second),
        window_s=window,
    )


def _members(scrapes: Iterable[Scrape]) -> list[MemberRow]:
    rows: dict[str, MemberRow] = {}

    def row(member: str) -> MemberRow:
        return rows.setdefault(member, MemberRow(member))

    for s in scrapes:
        for ls, v in s.values("screening_payments_consumed_total"):
            row(ls["member"]).consumed += v
        for ls, v in s.values("screening_decisions_total"):
            decided = row(ls["member"]).decided
            decided[ls["decision"]] = decided.get(ls["decision"], 0.0) + v
        for ls, v in s.values("screening_dead_letters_total"):
            row(ls["member"]).dead_letters += v
    return [rows[m] for m in sorted(rows)]


def _worker(s: Scrape) -> WorkerRow:
    return WorkerRow(
        url=s.url,
        watchlist_version=s.label("screening_watchlist_version_info", "version"),
        watchlist_entries=s.value("screening_watchlist_entries"),
        watchlist_ready=s.value("screening_watchlist_ready") >= 1,
        partitions=s.value("screening_consumer_assigned_partitions"),
        rebalances=s.value("screening_rebalances_total"),
        lag=s.value("screening_consumer_lag_messages"),
    )


def _by_label(
    scrapes: Iterable[Scrape], name: str, key: str, total: bool = True
) -> dict[str, float]:
    """Values of `name` by one label: summed over workers (counters) or the largest any
    worker reports (gauges of configuration, the same on every worker)."""
    found: dict[str, float] = {}
    for s in scrapes:
        for ls, v in s.values(name):
            k = ls.get(key, "")
            found[k] = found.get(k, 0.0) + v if total else max(found.get(k, 0.0), v)
    return dict(sorted(found.items()))


def _buckets(scrapes: Iterable[Scrape], name: str) -> dict[float, float]:
    cumulative: dict[float, float] = defaultdict(float)
    for s in scrapes:
        for ls, v in s.values(name + "_bucket"):
            cumulative[float(ls["le"])] += v
    return dict(cumulative)


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """Prometheus's histogram_quantile on cumulative bucket counts (upper bound -> count):
    linear interpolation inside the bucket; None without observations; the highest finite
    bound when the quantile falls in +Inf."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return None
    rank = q * buckets[bounds[-1]]
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower
            if count == below:
                return bound
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower


def _latency(first: Sequence[Scrape], second: Sequence[Scrape]) -> dict[str, float | None]:
    """p50/p95/p99 of decision latency in ms: over the window when decisions happened in
    it, else since the workers started."""
    name = "screening_decision_latency_seconds"
    later, earlier = _buckets(second, name), _buckets(first, name)
    window = {le: later[le] - earlier.get(le, 0.0) for le in later}
    source = window if window and max(window.values()) > 0 else later
    result: dict[str, float | None] = {}
    for label, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        value = histogram_quantile(q, source)
        result[label] = None if value is None else value * 1000
    result["observations"] = max(source.values()) if source else 0.0
    return result


# --- rendering --------------------------------------------------------------------------


def _n(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:,.1f}"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} days ago"


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], text_columns: int = 1
) -> list[str]:
    """Aligned columns: the first `text_columns` and the last when it is text to the left,
    numbers to the right."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    last_is_text = bool(rows) and not rows[0][-1].replace(",", "").replace(".", "").isdigit()

    def line(cells: Sequence[str]) -> str:
        aligned = [
            c.ljust(w) if i < text_columns or (last_is_text and i == len(cells) - 1) else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(aligned).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def render(summary: Summary, down: Sequence[str] = ()) -> str:
    """The summary as text for a terminal (about one screen for a handful of members)."""
    out: list[str] = []
    up = len(summary.workers)
    out.append(
        f"workers: {up} up, {len(down)} down; rates over {summary.window_s:.1f} s"
        if down
        else f"workers: {up} up; rates over {summary.window_s:.1f} s"
    )
    out += _table(
        ["worker", "ready", "partitions", "lag", "rebalances", "watchlist"],
        [
            [
                w.url,
                "yes" if w.watchlist_ready else "NO",
                _n(w.partitions),
                _n(w.lag),
                _n(w.rebalances),
                f"{w.watchlist_version} ({_n(w.watchlist_entries)} entries)",
            ]
            for w in summary.workers
        ],
    )
    out.extend(f"DOWN  {reason}" for reason in down)
    out.append("")
    rows = [
        [
            m.member,
            _n(m.consumed),
            _n(m.total),
            *(_n(m.decided[d]) for d in DECISIONS),
            _n(m.dead_letters),
            f"{m.decided_per_s:,.1f}",
        ]
        for m in summary.members
    ]
    if rows:
        total = MemberRow("total")
        for m in summary.members:
            total.consumed += m.consumed
            total.dead_letters += m.dead_letters
            total.decided_per_s += m.decided_per_s
            for d in DECISIONS:
                total.decided[d] += m.decided[d]
        rows.append(
            [
                "total",
                _n(total.consumed),
                _n(total.total),
                *(_n(total.decided[d]) for d in DECISIONS),
                _n(total.dead_letters),
                f"{total.decided_per_s:,.1f}",
            ]
        )
        out += _table(
            ["member", "consumed", "decided", *DECISIONS, "dead", "decided/s"],
            rows,
        )
    else:
        out.append("members: none served yet")
    out.append("")
    if summary.lag_by_topic:
        out += _table(
            ["topic", "partitions", "lag"],
            [[t, str(p), _n(v)] for t, (p, v) in summary.lag_by_topic.items()],
        )
    else:
        out.append("lag: no partitions assigned")
    out.append("")
    versions = ", ".join(v or "(none)" for v in summary.watchlist_versions) or "(none)"
    warning = "  WORKERS DISAGREE" if len(summary.watchlist_versions) > 1 else ""
    out.append(
        f"watchlist: {versions}{warning}; {_n(summary.watchlist_entries)} entries; "
        f"last published {_age(summary.published_age_s)}, "
        f"last applied {_age(summary.applied_age_s)}"
    )
    out.append(
        "rules: " + (", ".join(f"{_n(v)} {k}" for k, v in summary.rules.items()) or "(none)")
    )
    lat = summary.latency_ms
    if lat.get("p50") is None:
        out.append("decision latency: no observations")
    else:
        out.append(
            "decision latency: "
            + ", ".join(f"{q} {lat[q]:.1f} ms" for q in ("p50", "p95", "p99"))
            + f" ({_n(lat['observations'] or 0)} decisions)"
        )
    dead = ", ".join(f"{k} {_n(v)}" for k, v in summary.dead_letters.items() if v)
    out.append(f"dead letters: {dead or 'none'}")
    errors = ", ".join(f"{k} {_n(v)}" for k, v in summary.internal_errors.items() if v)
    out.append(f"internal errors: {errors or 'none'}")
    return "\n".join(out)


def as_json(summary: Summary, down: Sequence[str] = ()) -> dict[str, Any]:
    """The summary as a JSON-ready mapping (for scripts)."""
    return {
        "workers": [vars(w) for w in summary.workers],
        "down": list(down),
        "members": {
            m.member: {
                "consumed": m.consumed,
                "decided": m.total,
                **m.decided,
                "dead_letters": m.dead_letters,
                "decided_per_s": m.decided_per_s,
            }
            for m in summary.members
        },
        "lag": {t: {"partitions": p, "lag": v} for t, (p, v) in summary.lag_by_topic.items()},
        "watchlist": {
            "versions": summary.watchlist_versions,
            "entries": summary.watchlist_entries,
            "published_age_s": summary.published_age_s,
            "applied_age_s": summary.applied_age_s,
        },
        "rules": summary.rules,
        "dead_letters": summary.dead_letters,
        "internal_errors": summary.internal_errors,
        "latency_ms": summary.latency_ms,
        "window_s": summary.window_s,
    }
