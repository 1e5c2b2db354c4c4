"""The decision when the pipeline itself fails on a payment: an INTERNAL_ERROR hold (see
streams/rules/internal_error.py, which rules and stages share), logged and counted."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import orjson

from streams.kafka import topics
from streams.model.payment import Payment
from streams.ops import metrics
from streams.pipeline.messages import decision_document
from streams.pipeline.records import OutRecord
from streams.rules.base import WatchlistView
from streams.rules.internal_error import internal_error
from streams.rules.policy import decide

log = logging.getLogger(__name__)


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
