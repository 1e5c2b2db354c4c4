"""Screening one payment: every registered rule, isolated, then the policy."""

from __future__ import annotations

import logging

from streams.payment import Payment
from streams.policy import Verdict, decide
from streams.rules import RULES
from streams.rules.base import Rule, RuleResult, ScreeningContext

log = logging.getLogger(__name__)

INTERNAL_ERROR = "INTERNAL_ERROR"


def screen(
    payment: Payment,
    context: ScreeningContext,
    rules: tuple[tuple[str, Rule], ...] = RULES,
) -> Verdict:
    """Consumes a valid payment and a context; produces the verdict. A rule that raises
    holds the payment (fail closed) with an INTERNAL_ERROR reason naming the rule."""
    results: list[RuleResult] = []
    for rule_name, rule in rules:
        try:
            results.extend(rule(payment, context))
        except Exception as exc:  # a rule bug must hold the payment, never drop it
            log.exception("rule %s failed on txn %s", rule_name, payment.txn_id)
            results.append(
                RuleResult(
                    INTERNAL_ERROR,
                    "hold",
                    {"rule": rule_name, "error": f"{type(exc).__name__}: {exc}"[:300]},
                )
            )
    return decide(results)
