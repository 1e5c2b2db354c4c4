"""Failure handling: the INTERNAL_ERROR result, its effect (hold, allow for a fail-open
member) and the decision written when the pipeline itself fails."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from streams.model.payment import Payment, decode_payment
from streams.pipeline.fail_closed import fail_closed
from streams.rules.base import RuleResult, ScreeningContext
from streams.rules.internal_error import INTERNAL_ERROR, internal_error, with_error_effect
from streams.rules.verdict import screen
from streams.watchlist.index import WatchlistIndex

AT = datetime(2026, 1, 15, 10, 0, 1, tzinfo=UTC)


def a_payment(member: str = "acme") -> Payment:
    return decode_payment(
        orjson.dumps(
            {
                "txn_id": "txn-9",
                "member_id": member,
                "ts": "2026-01-15T10:00:00Z",
                "amount": "12.00",
                "currency": "EUR",
                "method": "card",
                "payer": {"id": "p-1"},
                "payee": {"merchant_id": "MID-1"},
            }
        )
    )


def boom(payment: Payment, context: ScreeningContext) -> list[RuleResult]:
    raise KeyError("entry")


def test_internal_error_names_the_step_and_cuts_the_error_text() -> None:
    result = internal_error("velocity:payee", ValueError("x" * 500))
    assert result.code == INTERNAL_ERROR
    assert result.effect == "hold"
    assert result.evidence["rule"] == "velocity:payee"
    assert result.evidence["error"] == ("ValueError: " + "x" * 500)[:300]


def test_internal_error_of_a_fail_open_member_allows() -> None:
    assert internal_error("route", RuntimeError("bug"), fail_open=True).effect == "allow"


def test_error_effect_is_given_to_internal_errors_only() -> None:
    velocity = RuleResult("VELOCITY", "hold", {"rule_id": "r"})
    error = internal_error("velocity:member", RuntimeError("bug"))
    assert with_error_effect([velocity, error], fail_open=True) == [
        velocity,
        internal_error("velocity:member", RuntimeError("bug"), fail_open=True),
    ]
    assert with_error_effect([velocity, error], fail_open=False) == [velocity, error]


def test_a_raising_rule_of_a_fail_open_member_allows_and_keeps_the_reason() -> None:
    context = ScreeningContext(WatchlistIndex(), AT, 88.0)
    verdict = screen(a_payment(), context, rules=(("boom", boom),), fail_open=True)
    assert verdict.decision == "allow"
    [reason] = verdict.reasons
    assert reason["code"] == INTERNAL_ERROR
    assert reason["rule"] == "boom"
    assert reason["error"] == "KeyError: 'entry'"


def decision(records: list[Any]) -> dict[str, Any]:
    [record] = records
    assert record.topic == "decisions.acme"
    assert record.key == b"txn-9"
    assert record.headers == []  # no payment digest: a failed decision is not remembered
    loaded: dict[str, Any] = orjson.loads(record.value)
    return loaded


def failed(fail_open: bool) -> list[Any]:
    try:
        raise RuntimeError("stage topic unknown")
    except RuntimeError as exc:
        return fail_closed(a_payment(), "route", exc, fail_open, lambda: AT, WatchlistIndex())


def test_a_failed_pipeline_holds_the_payment() -> None:
    document = decision(failed(fail_open=False))
    assert document["decision"] == "hold"
    assert document["reasons"] == [
        {
            "code": INTERNAL_ERROR,
            "action": "hold",
            "rule": "route",
            "error": "RuntimeError: stage topic unknown",
        }
    ]
    assert document["decided_at"] == "2026-01-15T10:00:01.000Z"


def test_a_failed_pipeline_allows_a_fail_open_members_payment_with_the_reason() -> None:
    document = decision(failed(fail_open=True))
    assert document["decision"] == "allow"
    [reason] = document["reasons"]
    assert (reason["code"], reason["action"]) == (INTERNAL_ERROR, "allow")
