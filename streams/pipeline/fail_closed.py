"""Failure handling, in one place: a rule, a velocity stage or the pipeline itself that
raises holds the payment (fail closed) with an INTERNAL_ERROR reason naming the step; for
a member that chose to fail open the reason is kept but allows. Never a dropped payment."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

import orjson

from streams.kafka import topics
from streams.model.payment import Payment
from streams.ops import metrics
from streams.pipeline.messages import decision_document
from streams.pipeline.records import OutRecord
from streams.rules.base import RuleResult, WatchlistView
from streams.rules.policy import decide

log = logging.getLogger(__name__)

INTERNAL_ERROR = "INTERNAL_ERROR"


def error_effect(fail_open: bool) -> str:
    """The effect of an INTERNAL_ERROR: hold, or allow for a fail-open member."""
    return "allow" if fail_open else "hold"


def internal_error(step: str, exc: Exception, fail_open: bool = False) -> RuleResult:
    """Consumes the failed step's name (a rule, `velocity:<stage>`, `route`) and its
    exception; produces the INTERNAL_ERROR result naming both (error text cut at 300)."""
    return RuleResult(
        INTERNAL_ERROR,
        error_effect(fail_open),
        {"rule": step, "error": f"{type(exc).__name__}: {exc}"[:300]},
    )


def with_error_effect(results: Sequence[RuleResult], fail_open: bool) -> list[RuleResult]:
    """`results` with every INTERNAL_ERROR given the member's error effect (they may come
    from stages that did not know the member's choice); the others as they are."""
    effect = error_effect(fail_open)
    return [replace(r, effect=effect) if r.code == INTERNAL_ERROR else r for r in results]


def fail_closed(
    payment: Payment,
    step: str,
    exc: Exception,
    fail_open: bool,
    clock: Callable[[], datetime],
    watchlist: WatchlistView,
) -> list[OutRecord]:
    """The decision when the pipeline itself failed at `step` (called while handling
    `exc`): hold (allow if `fail_open`), INTERNAL_ERROR; logged and counted."""
    log.exception("%s failed on txn %s; holding it", step, payment.txn_id)
    verdict = decide([internal_error(step, exc, fail_open)])
    decision = decision_document(payment, verdict, clock(), watchlist.version)
    metrics.observe_decision(payment.member_id, verdict, 0.0)
    return [
        OutRecord(
            topics.decisions_topic(payment.member_id),
            payment.txn_id.encode(),
            orjson.dumps(decision),
        )
    ]
