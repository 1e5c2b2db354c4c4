"""Screening one payment: every registered rule, isolated, then the policy."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from streams.model.payment import Payment
from streams.rules import RULES
from streams.rules.base import Rule, RuleResult, ScreeningContext
from streams.rules.internal_error import internal_error, with_error_effect
from streams.rules.policy import Verdict, decide

log = logging.getLogger(__name__)

# The verdict without reasons (what `decide` makes of no results), shared: it is frozen.
ALLOW = decide(())


def screen(
    payment: Payment,
    context: ScreeningContext,
    rules: tuple[tuple[str, Rule], ...] = RULES,
    extra: Sequence[RuleResult] = (),
    fail_open: bool = False,
) -> Verdict:
    """Consumes a valid payment, a context and results found elsewhere (the velocity
    stages); produces the verdict. A rule that raises holds the payment (fail closed)
    with an INTERNAL_ERROR reason naming the rule; for a member that chose `fail_open`
    the reason is kept but allows."""
    results = with_error_effect(extra, fail_open) if extra else []
    for rule_name, rule in rules:
        try:
            results.extend(rule(payment, context))
        except Exception as exc:  # a rule bug must hold the payment, never drop it
            log.exception("rule %s failed on txn %s", rule_name, payment.txn_id)
            results.append(internal_error(rule_name, exc, fail_open))
    if not results:
        # Most payments: nothing matched, so nothing to order, override or merge.
        return ALLOW
    kept, applied = apply_overrides(payment, context, results)
    verdict = decide(kept)
    return replace(verdict, overrides=applied) if applied else verdict


def apply_overrides(
    payment: Payment, context: ScreeningContext, results: list[RuleResult]
) -> tuple[list[RuleResult], tuple[str, ...]]:
    """Drop holds that the paying member overrode for this payee on that entry. Blocks
    stay: a confirmed seller is cut off for every member until its entry is revoked."""
    kept: list[RuleResult] = []
    applied: list[str] = []
    for result in results:
        entry_id = result.sealed_entry or result.evidence.get("entry_id")
        if result.effect == "hold" and isinstance(entry_id, str):
            overrides = context.watchlist.overrides_for(payment.member_id, entry_id)
            hits = [
                o.entry_id
                for o in overrides
                if o.applies(payment.member_id, payment.payee, context.at)
            ]
            if hits:
                applied.extend(hits)
                continue
        kept.append(result)
    return kept, tuple(sorted(set(applied)))
