"""Backtesting velocity rules: the same payments screened offline, in event time, under
the rules in force and under candidate rules, with the worker's code.

Consumes payments (bytes with their source), a watchlist and two rule sets; produces per
candidate rule its hits and distinct payees hit, and every decision that would change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from streams.kafka import topics
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import OutRecord, Source
from streams.rules.base import WatchlistView
from streams.settings import Settings
from streams.velocity.rule_set import RuleSet

# Decided-at is not what a backtest compares; a fixed clock keeps its output reproducible.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class RuleHits:
    """What one candidate rule did over the input."""

    rule_id: str
    version: str
    mode: str
    action: str
    hits: int = 0
    payees: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class ChangedDecision:
    """A payment whose decision differs between the current and the candidate rules."""

    member_id: str
    txn_id: str
    current: str
    candidate: str


@dataclass(slots=True)
class BacktestReport:
    """Per-rule hits of the candidate rules and the decisions they would change."""

    payments: int = 0
    dead_letters: int = 0
    rules: dict[str, RuleHits] = field(default_factory=dict)
    changed: list[ChangedDecision] = field(default_factory=list)

    def transitions(self) -> Counter[tuple[str, str]]:
        """(current, candidate) decision pairs that changed, counted."""
        return Counter((c.current, c.candidate) for c in self.changed)

    def document(self, changed_limit: int = 1000) -> dict[str, Any]:
        """The report as JSON (`--json`)."""
        return {
            "payments": self.payments,
            "dead_letters": self.dead_letters,
            "rules": [
                {
                    "rule_id": r.rule_id,
                    "rule_version": r.version,
                    "mode": r.mode,
                    "action": r.action,
                    "hits": r.hits,
                    "distinct_payees": len(r.payees),
                }
                for r in sorted(self.rules.values(), key=lambda r: r.rule_id)
            ],
            "changed_decisions": len(self.changed),
            "transitions": {f"{a}->{b}": n for (a, b), n in sorted(self.transitions().items())},
            "changed": [
                {
                    "member_id": c.member_id,
                    "txn_id": c.txn_id,
                    "current": c.current,
                    "candidate": c.candidate,
                }
                for c in self.changed[:changed_limit]
            ],
        }


def backtest(
    payments: Iterable[tuple[bytes, Source]],
    watchlist: WatchlistView,
    candidate: RuleSet,
    current: RuleSet,
    settings: Settings,
) -> BacktestReport:
    """Screen every payment under both rule sets (each with its own window state, in
    input order, windows in event time) and compare."""
    report = BacktestReport()
    for rule in candidate.rules.values():
        report.rules[rule.rule_id] = RuleHits(rule.rule_id, rule.version, rule.mode, rule.action)
    before = _processor(watchlist, settings, current)
    after = _processor(watchlist, settings, candidate)
    for raw, source in payments:
        old = _decision(before.process(raw, source, None))
        records = after.process(raw, source, None)
        new = _decision(records)
        if new is None or old is None:
            report.dead_letters += 1
            continue
        report.payments += 1
        for alert in _velocity_alerts(records):
            hits = report.rules.get(alert["rule_id"])
            if hits is not None:
                hits.hits += 1
                hits.payees.add(str(alert["payee_key"]))
        if old["decision"] != new["decision"]:
            report.changed.append(
                ChangedDecision(new["member_id"], new["txn_id"], old["decision"], new["decision"])
            )
    return report


def _processor(watchlist: WatchlistView, settings: Settings, rules: RuleSet) -> PaymentProcessor:
    processor = PaymentProcessor.from_settings(watchlist, settings)
    processor.clock = lambda: _EPOCH
    processor.rules = rules
    return processor


def _decision(records: list[OutRecord]) -> dict[str, Any] | None:
    for record in records:
        if record.topic.startswith(topics.DECISIONS_PREFIX):
            document: dict[str, Any] = orjson.loads(record.value)
            return document
    return None


def _velocity_alerts(records: list[OutRecord]) -> list[dict[str, Any]]:
    alerts = (orjson.loads(r.value) for r in records if r.topic == topics.ALERTS)
    return [a for a in alerts if a.get("kind") == "VELOCITY"]
