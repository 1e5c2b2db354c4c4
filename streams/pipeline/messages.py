"""Output messages of the contract (decision, alert, dead letter) as JSON documents."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from streams.model.payment import Payment
from streams.model.timestamps import iso
from streams.rules.base import RuleResult
from streams.rules.policy import Verdict
from streams.watchlist.links import Link


def decision_document(
    payment: Payment, verdict: Verdict, decided_at: datetime, watchlist_version: str
) -> dict[str, Any]:
    """The decision for `decisions.<member>` (schemas/decision.schema.json)."""
    document: dict[str, Any] = {
        "txn_id": payment.txn_id,
        "member_id": payment.member_id,
        "decision": verdict.decision,
        "reasons": list(verdict.reasons),
        "decided_at": iso(decided_at),
        "watchlist_version": watchlist_version,
        "payee_key": payment.payee.key,
        "ts": payment.ts_text,
    }
    if verdict.overrides:
        document["overrides"] = list(verdict.overrides)
    return document


def alert_document(decision: dict[str, Any], payment: Payment) -> dict[str, Any]:
    """The alert for `alerts` (schemas/alert.schema.json): payee evidence, never the payer."""
    return {
        "alert_id": f"{payment.member_id}:{payment.txn_id}",
        "kind": "DECISION",
        "txn_id": payment.txn_id,
        "member_id": payment.member_id,
        "decision": decision["decision"],
        "reasons": decision["reasons"],
        **_payment_evidence(decision, payment),
    }


def _payment_evidence(decision: dict[str, Any], payment: Payment) -> dict[str, Any]:
    """What an alert about one payment shows of it: the payee, the money and the times,
    and the payer only as its ref (see `streams.model.payer_ref`)."""
    return {
        "payee_key": payment.payee.key,
        "payee": dict(payment.payee.identifiers),
        **({"payer_ref": payment.payer_ref} if payment.payer_ref is not None else {}),
        "amount": format(payment.amount, "f"),
        "currency": payment.currency,
        "method": payment.method,
        "ts": decision["ts"],
        "raised_at": decision["decided_at"],
        "watchlist_version": decision["watchlist_version"],
    }


def velocity_alert_document(
    result: RuleResult, decision: dict[str, Any], payment: Payment
) -> dict[str, Any]:
    """The VELOCITY alert: a velocity rule reached its threshold on this payment, with the
    payee's evidence (key, window, observed measure); `shadow` says the rule could not
    change the decision. Payer keys are digests, never the payer's id."""
    evidence = result.evidence
    return {
        "alert_id": f"{payment.member_id}:{payment.txn_id}:velocity:{evidence['rule_id']}",
        "kind": "VELOCITY",
        "shadow": evidence.get("mode") == "shadow",
        "rule_id": evidence["rule_id"],
        "rule_version": evidence["rule_version"],
        "mode": evidence["mode"],
        "action": result.effect,
        "key_kind": evidence["key_kind"],
        "key": evidence["key"],
        "window": evidence["window"],
        "measure": evidence["measure"],
        "observed": evidence["observed"],
        "threshold": evidence["threshold"],
        "txn_id": payment.txn_id,
        "member_id": payment.member_id,
        "decision": decision["decision"],
        **_payment_evidence(decision, payment),
    }


def new_route_document(link: Link, decision: dict[str, Any]) -> dict[str, Any]:
    """The NEW_ROUTE alert: a confirmed seller's identifier seen for the first time, with
    the payment method and the member whose traffic revealed it (never the payer)."""
    return {
        "alert_id": f"{link.first_member}:{link.first_txn}:route:{link.key}",
        "kind": "NEW_ROUTE",
        "entry_id": link.entry_id,
        "identifier": {"type": link.type, "value": link.value},
        "method": link.method,
        "member_id": link.first_member,
        "txn_id": link.first_txn,
        "payee_key": decision["payee_key"],
        "ts": iso(link.first_seen),
        "raised_at": decision["decided_at"],
        "watchlist_version": decision["watchlist_version"],
    }


def dead_letter_document(
    raw: bytes,
    code: str,
    error: str,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    failed_at: datetime,
) -> dict[str, Any]:
    """The dead letter for `dlq.payments` (schemas/dead-letter.schema.json)."""
    return {
        "error": error,
        "error_code": code,
        "source_topic": topic,
        "source_partition": partition,
        "source_offset": offset,
        "source_key": key.decode("utf-8", "replace") if key is not None else None,
        "original_base64": base64.b64encode(raw).decode("ascii"),
        "failed_at": iso(failed_at),
    }
