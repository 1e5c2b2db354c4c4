"""Prometheus metrics every worker exports at /metrics.

Names follow Prometheus conventions (units in names, `_total` counters) and every label
set is bounded: member, decision, code, rule, identifier type, watchlist source, dead-letter
reason, topic and partition; never transaction, payer or payee ids. Values that come from
data rather than code (watchlist sources, rule ids) are capped per label, so a bad feed
cannot explode the series count.

The hot path calls the helpers below (`payment_consumed`, `observe_decision`,
`dead_letter`), which cache the labelled children instead of resolving `.labels()` on
every message, and count once per batch inside `streams.ops.metric_batches.batched`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge, Histogram, Info, disable_created_metrics

from streams.ops.metric_batches import count

if TYPE_CHECKING:
    from streams.rules.policy import Verdict

# `_created` series double the counter and histogram series count for a value nobody
# queries here (Prometheus derives resets from the counters themselves).
disable_created_metrics()  # type: ignore[no-untyped-call]

# Distinct values kept per data-driven label before further ones are counted as "other".
MAX_LABEL_VALUES = 100
OTHER = "other"

# Decision latency budget is 35 ms at p99; the buckets resolve 1 to 100 ms finely and keep
# a few coarse ones for backlogs and replays.
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.02,
    0.025,
    0.035,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    30.0,
)
# One message through decode, rules and produce: tens of microseconds when all is well.
PROCESSING_BUCKETS = (
    0.00001,
    0.000025,
    0.00005,
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.5,
)

# --- payments and decisions -------------------------------------------------------------

PAYMENTS_CONSUMED = Counter(
    "screening_payments_consumed_total",
    "Payment messages consumed, valid or not, by the member of the topic",
    ["member"],
)
DECISIONS = Counter(
    "screening_decisions_total",
    "Decisions produced, by member and decision (allow, hold, block)",
    ["member", "decision"],
)
REASONS = Counter(
    "screening_reasons_total",
    "Reasons given in decisions, by code, the rule that gave it and the identifier type "
    "it matched (empty when it matched none)",
    ["code", "rule", "type"],
)
WATCHLIST_HITS = Counter(
    "screening_watchlist_hits_total",
    "Watchlist reasons (exact, name and linked matches) by the source of the matched entry "
    "as reasons name it (coalition for a member's, sealed for a sealed entry)",
    ["source"],
)
DEAD_LETTERS = Counter(
    "screening_dead_letters_total",
    "Payments sent to the dead-letter topic, by member of the topic and error code",
    ["member", "reason"],
)
INVALID_IDENTIFIERS = Counter(
    "screening_invalid_identifiers_total",
    "Payee identifiers that are not valid for their kind (they never match)",
    ["type"],
)
REDELIVERIES = Counter(
    "screening_redeliveries_total", "Redelivered payments answered with their first decision"
)
INTERNAL_ERRORS = Counter(
    "screening_internal_errors_total",
    "Internal errors: kind=rule for a rule that raised (the payment is held with "
    "INTERNAL_ERROR), kind=agent for an exception that crashed the screening agent",
    ["kind"],
)
DECISION_LATENCY = Histogram(
    "screening_decision_latency_seconds",
    "Payment event time (ts) to decision, per decided payment",
    buckets=LATENCY_BUCKETS,
)
FUTURE_EVENT_TIME = Counter(
    "screening_future_event_time_total",
    "Decided payments whose ts is later than the decision (sender clock ahead); they are "
    "left out of the latency histogram",
)
PROCESSING_TIME = Histogram(
    "screening_processing_seconds",
    "Time the screening agent spends on one message: decode, rules, policy and handing "
    "records to the producer",
    buckets=PROCESSING_BUCKETS,
)
MEMBERS = Gauge("screening_members_served", "Member payment topics this worker subscribes to")

# --- watchlist --------------------------------------------------------------------------

WATCHLIST_ENTRIES = Gauge("screening_watchlist_entries", "Live watchlist entries held")
WATCHLIST_UPDATES = Counter(
    "screening_watchlist_updates_total",
    "Watchlist records applied, by result (applied, deleted, invalid)",
    ["result"],
)
WATCHLIST_LAST_UPDATE = Gauge(
    "screening_watchlist_last_update_timestamp_seconds",
    "Wall time this worker last applied a watchlist change (0: none since start)",
)
WATCHLIST_LAST_RECORD = Gauge(
    "screening_watchlist_last_record_timestamp_seconds",
    "Kafka timestamp of the newest watchlist record read: when the coalition last "
    "published a change (0: the topic is empty)",
)
WATCHLIST_READY = Gauge(
    "screening_watchlist_ready",
    "1 once the replica caught up with the watchlist topic and screening runs, else 0",
)
WATCHLIST_VERSION = Info(
    "screening_watchlist_version", "Content version of the watchlist held (one series)"
)

# --- rules, consumer, build -------------------------------------------------------------

RULES_LOADED = Gauge(
    "screening_rules_loaded",
    "Screening rules in force: kind=builtin counts the registered watchlist checks, "
    "kind=velocity the enabled velocity rules from the rules topic",
    ["kind"],
)
RULES_VERSION = Info(
    "screening_rules_version", "Content version of the velocity rule set in force (one series)"
)
RULE_UPDATES = Counter(
    "screening_rule_updates_total",
    "Records of the rules topic applied (applied, deleted) or refused as invalid (invalid)",
    ["outcome"],
)
VELOCITY_HITS = Counter(
    "screening_velocity_hits_total",
    "Payments on which a velocity rule reached its threshold, per rule and mode (enforce "
    "hits may change the decision, shadow hits only raise alerts)",
    ["rule_id", "mode"],
)
VELOCITY_KEYS_EXPIRED = Counter(
    "screening_velocity_keys_expired_total",
    "Velocity state keys deleted because no rule's window and grace reaches their "
    "newest event any more",
)
CONSUMER_LAG = Gauge(
    "screening_consumer_lag_messages",
    "Messages on an assigned payments partition not yet committed by this worker's group "
    "(end offset minus committed offset)",
    ["topic", "partition"],
)
ASSIGNED_PARTITIONS = Gauge(
    "screening_consumer_assigned_partitions", "Payments partitions assigned to this worker"
)
REBALANCES = Counter(
    "screening_rebalances_total",
    "Consumer group rebalances this worker completed (partition assignments received, "
    "the first join included)",
)
BUILD = Info("screening_build", "The running screening package")


# --- bounded labels and cached children -------------------------------------------------


class BoundedLabel:
    """Passes through the first `limit` distinct values of a data-driven label, then
    answers OTHER; thread-safe (the watchlist replica thread and the loop both call)."""

    def __init__(self, limit: int = MAX_LABEL_VALUES) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        with self._lock:
            if len(self._seen) < self.limit:
                self._seen.add(value)
                return value
        return OTHER


_source_label = BoundedLabel()
_rule_label = BoundedLabel()
_member_label = BoundedLabel(limit=1000)

_consumed: dict[str, Any] = {}
_decided: dict[tuple[str, str], Any] = {}
_reasons: dict[tuple[str, str, str], Any] = {}
_hits: dict[str, Any] = {}
_dead: dict[tuple[str, str], Any] = {}
_rule_error = INTERNAL_ERRORS.labels("rule")

# The registered check that gives a code when the reason itself names no rule (see
# reason_labels); other codes fall back to the code in lower case.
RULE_OF_CODE: Mapping[str, str] = {
    "WATCHLIST_MATCH": "watchlist_match",
    "WATCHLIST_NAME_MATCH": "name_match",
}
WATCHLIST_PREFIX = "WATCHLIST_"
SEALED_CODE = "WATCHLIST_SEALED"


def payment_consumed(member: str) -> None:
    """Count one consumed payment message of `member` (the topic's member)."""
    child = _consumed.get(member)
    if child is None:
        child = _consumed[member] = PAYMENTS_CONSUMED.labels(_member_label(member))
    count(child)


def dead_letter(member: str, reason: str) -> None:
    """Count one dead letter of `member` with its error code."""
    key = (member, reason)
    child = _dead.get(key)
    if child is None:
        child = _dead[key] = DEAD_LETTERS.labels(_member_label(member), reason)
    count(child)


def reason_labels(reason: Mapping[str, Any]) -> tuple[str, str, str]:
    """(code, rule, type) of a reason: the rule is the one named in the evidence
    (INTERNAL_ERROR's `rule`, a velocity rule's `rule_id`) or the check that gives the
    code; the type is the matched identifier type, if any."""
    code = str(reason.get("code", ""))
    rule = reason.get("rule_id") or reason.get("rule") or RULE_OF_CODE.get(code, code.lower())
    kind = reason.get("type") if code.startswith(WATCHLIST_PREFIX) else ""
    return code, _rule_label(str(rule)), str(kind or "")


def observe_decision(member: str, verdict: Verdict, latency_s: float) -> None:
    """Count one decision of `member`, its reasons and watchlist hits, and observe its
    latency (payment ts to decision, in seconds)."""
    key = (member, verdict.decision)
    child = _decided.get(key)
    if child is None:
        child = _decided[key] = DECISIONS.labels(_member_label(member), verdict.decision)
    count(child)
    for reason in verdict.reasons:
        _count_reason(reason)
    if latency_s >= 0:
        DECISION_LATENCY.observe(latency_s)
    else:
        count(FUTURE_EVENT_TIME)


def _count_reason(reason: Mapping[str, Any]) -> None:
    labels = reason_labels(reason)
    child = _reasons.get(labels)
    if child is None:
        child = _reasons[labels] = REASONS.labels(*labels)
    count(child)
    code = labels[0]
    if code.startswith(WATCHLIST_PREFIX) and ("source" in reason or code == SEALED_CODE):
        # as the reason names it: `coalition` for a member's entry, `sealed` for a sealed one
        source = str(reason.get("source", "sealed"))
        hit = _hits.get(source)
        if hit is None:
            hit = _hits[source] = WATCHLIST_HITS.labels(_source_label(source))
        count(hit)
    elif code == "INTERNAL_ERROR":
        count(_rule_error)


_newest_record_ms = 0


def watchlist_record_seen(timestamp_ms: int) -> None:
    """Note a watchlist record's Kafka timestamp (ms; <= 0 when the broker gave none);
    keeps the newest. Called on the replica's reader thread, which is the only writer."""
    global _newest_record_ms
    if timestamp_ms > _newest_record_ms:
        _newest_record_ms = timestamp_ms
        WATCHLIST_LAST_RECORD.set(timestamp_ms / 1000)


def serve_members(members: Iterable[str]) -> None:
    """Set the members served and create their zero-valued series, so a member without
    decisions yet shows 0 (and "no decisions for five minutes" can be told from absent)."""
    served = list(members)
    MEMBERS.set(len(served))
    for member in served:
        PAYMENTS_CONSUMED.labels(_member_label(member))
        for decision in ("allow", "hold", "block"):
            DECISIONS.labels(_member_label(member), decision)


def build_version() -> str:
    """The installed package version ("unknown" when run from a bare source tree)."""
    try:
        return metadata.version("coalition-screening")
    except metadata.PackageNotFoundError:
        return "unknown"


BUILD.info({"version": build_version()})
WATCHLIST_VERSION.info({"version": ""})
RULES_LOADED.labels("velocity").set(0)
RULES_VERSION.info({"version": ""})
