"""The records one decided payment writes: its alerts, VELOCITY alerts, link records and
NEW_ROUTE alerts, then the decision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from streams.kafka import topics
from streams.model.payment import Payment
from streams.ops import metrics
from streams.pipeline.handoff import is_enforced
from streams.pipeline.messages import (
    alert_document,
    decision_document,
    new_route_document,
    velocity_alert_document,
)
from streams.pipeline.records import OutRecord
from streams.pipeline.redelivery import decision_record
from streams.rules.base import RuleResult, ScreeningContext
from streams.rules.internal_error import INTERNAL_ERROR
from streams.rules.policy import Verdict
from streams.rules.verdict import screen
from streams.watchlist.links import LinkIndex, derive_links, record_key


def verdict_for(
    payment: Payment, context: ScreeningContext, velocity: Sequence[RuleResult], fail_open: bool
) -> Verdict:
    """The verdict of the screening rules and the velocity results that may change it
    (enforced ones and INTERNAL_ERRORs; shadow and alert-only results only alert)."""
    kept = [r for r in velocity if is_enforced(r) or r.code == INTERNAL_ERROR]
    return screen(payment, context, extra=kept, fail_open=fail_open)


def decision_records(
    payment: Payment,
    verdict: Verdict,
    velocity: Sequence[RuleResult],
    decided_at: datetime,
    watchlist_version: str,
    links: LinkIndex | None,
    digest: bytes,
) -> list[OutRecord]:
    """Consumes a payment, its verdict and velocity results; produces its records: an
    alert unless allowed, a VELOCITY alert per velocity hit, link records and NEW_ROUTE
    alerts (with a link index), then the decision carrying the payment's `digest`.
    Counts the hits and observes the decision."""
    decision = decision_document(payment, verdict, decided_at, watchlist_version)
    records: list[OutRecord] = []
    payee_key = (payment.payee.key or "").encode()
    if verdict.decision != "allow":
        records.append(
            OutRecord(topics.ALERTS, payee_key, orjson.dumps(alert_document(decision, payment)))
        )
    for result in velocity:
        if result.code != "VELOCITY":
            continue
        metrics.VELOCITY_HITS.labels(
            str(result.evidence.get("rule_id")), str(result.evidence.get("mode"))
        ).inc()
        document = velocity_alert_document(result, decision, payment)
        records.append(OutRecord(topics.ALERTS, payee_key, orjson.dumps(document)))
    if links is not None:
        records.extend(route_records(payment, decision, links))
    # The decision last: once it is in the log, what it implies was handed over first.
    records.append(
        decision_record(payment.member_id, payment.txn_id, orjson.dumps(decision), digest)
    )
    metrics.observe_decision(payment.member_id, verdict, (decided_at - payment.ts).total_seconds())
    return records


def route_records(payment: Payment, decision: dict[str, Any], links: LinkIndex) -> list[OutRecord]:
    """Link records for identifiers this payment tied to a confirmed entry, and a
    NEW_ROUTE alert for each identifier linked for the first time."""
    updates, new = derive_links(payment, tuple(decision["reasons"]), links)
    records = [
        OutRecord(topics.LINKS, record_key(link), orjson.dumps(link.document())) for link in updates
    ]
    payee_key = (payment.payee.key or "").encode()
    records += [
        OutRecord(topics.ALERTS, payee_key, orjson.dumps(new_route_document(link, decision)))
        for link in new
    ]
    return records
