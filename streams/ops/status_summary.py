"""The operator's one-screen summary behind `screening status`: two scrapes of the same
workers, a moment apart, turned into counts, rates, lag and watchlist state. Pure:
streams.ops.metrics_scrape takes the scrapes, streams.ops.status_render prints the result."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from streams.ops.metrics_scrape import Scrape

DECISIONS = ("allow", "hold", "block")


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
