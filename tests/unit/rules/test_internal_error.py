"""INTERNAL_ERROR (streams/rules/internal_error.py): the result naming the failed step, its
effect (hold, allow for a fail-open member), and a raising rule inside `screen`."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.model.payment import Payment
from streams.rules.base import RuleResult, ScreeningContext
from streams.rules.internal_error import INTERNAL_ERROR, internal_error, with_error_effect
from streams.rules.verdict import screen
from streams.watchlist.index import WatchlistIndex
from tests.factories import decoded_payment

AT = datetime(2026, 1, 15, 10, 0, 1, tzinfo=UTC)


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
    verdict = screen(decoded_payment(), context, rules=(("boom", boom),), fail_open=True)
    assert verdict.decision == "allow"
    [reason] = verdict.reasons
    assert reason["code"] == INTERNAL_ERROR
    assert reason["rule"] == "boom"
    assert reason["error"] == "KeyError: 'entry'"
