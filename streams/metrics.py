"""Prometheus metrics every worker exports at /metrics (bounded labels: member, decision,
code; never transaction or payee ids)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram

if TYPE_CHECKING:
    from streams.policy import Verdict

PAYMENTS_CONSUMED = Counter(
    "screening_payments_consumed_total", "Payment messages consumed", ["member"]
)
DECISIONS = Counter("screening_decisions_total", "Decisions produced", ["member", "decision"])
REASONS = Counter("screening_reasons_total", "Reasons given in decisions", ["code"])
DEAD_LETTERS = Counter(
    "screening_dead_letters_total", "Payments sent to the dead-letter topic", ["reason"]
)
INVALID_IDENTIFIERS = Counter(
    "screening_invalid_identifiers_total",
    "Payee identifiers that are not valid for their kind (they never match)",
    ["type"],
)
REDELIVERIES = Counter(
    "screening_redeliveries_total", "Redelivered payments answered with their first decision"
)
DECISION_LATENCY = Histogram(
    "screening_decision_latency_seconds",
    "Payment event time to decision",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0),
)
WATCHLIST_ENTRIES = Gauge("screening_watchlist_entries", "Live watchlist entries held")
WATCHLIST_UPDATES = Counter(
    "screening_watchlist_updates_total", "Watchlist records applied", ["result"]
)
WATCHLIST_LAST_UPDATE = Gauge(
    "screening_watchlist_last_update_timestamp_seconds", "Wall time of the last watchlist change"
)
MEMBERS = Gauge("screening_members_served", "Member payment topics this worker subscribes to")


def observe_decision(member: str, verdict: Verdict, latency_s: float) -> None:
    """Count one decision and its reasons."""
    DECISIONS.labels(member, verdict.decision).inc()
    for reason in verdict.reasons:
        REASONS.labels(reason["code"]).inc()
    if latency_s >= 0:
        DECISION_LATENCY.observe(latency_s)
