"""Velocity stages: routing a payment to its first stage topic, running one stage on it
(its window state updated, stale state swept) and handing it to the next."""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from dataclasses import replace
from datetime import datetime

from streams.kafka import topics
from streams.model.payment import Payment
from streams.ops import metrics
from streams.pipeline.handoff import StageHandoff, encode_handoff, stage_key
from streams.pipeline.records import OutRecord, Source
from streams.rules.base import RuleResult
from streams.rules.internal_error import internal_error
from streams.velocity.evaluate import evaluate_stage, expiry_horizon_ms, is_stale
from streams.velocity.expiry import ExpiringState
from streams.velocity.rule_set import RuleSet
from streams.velocity.state import event_time_ms

log = logging.getLogger(__name__)


def first_stage(
    payment: Payment, masked: bytes, member: str, source: Source, rules: RuleSet, app_id: str
) -> OutRecord | None:
    """The hand-off of an admitted payment to the first velocity stage that applies to
    it, or None when none does."""
    stages = rules.stages_for(payment)
    if not stages:
        return None
    origin = (source.topic, source.partition, source.offset)
    value = encode_handoff(masked, member, origin, stages, (), payment)
    return _record(app_id, stages[0], payment, value)


def next_stage(
    app_id: str,
    stage: str,
    handoff: StageHandoff,
    results: tuple[RuleResult, ...],
    payment: Payment,
) -> OutRecord | None:
    """The hand-off to the next stage after `stage`, carrying `results` and the decoded
    payment, or None when `stage` was the last."""
    if handoff.stages == (stage,):  # the last stage, as for every payment of most rule packs
        return None
    remaining = tuple(s for s in handoff.stages if s != stage)
    if not remaining:
        return None
    forwarded = replace(handoff, stages=remaining, results=results, decoded=payment)
    return stage_record(app_id, forwarded, payment)


def stage_record(app_id: str, handoff: StageHandoff, payment: Payment) -> OutRecord:
    """The record on the topic of the hand-off's next stage, keyed by the stage's key."""
    return _record(app_id, handoff.stages[0], payment, handoff.encode())


def _record(app_id: str, stage: str, payment: Payment, value: bytes) -> OutRecord:
    """An encoded hand-off on `stage`'s topic, keyed by the stage's key."""
    key = stage_key(stage, payment)
    return OutRecord(
        topics.velocity_stage_topic(app_id, stage),
        key.encode() if key is not None else None,
        value,
    )


def evaluate(
    stage: str,
    handoff: StageHandoff,
    payment: Payment,
    rules: RuleSet,
    state: MutableMapping[str, bytes],
) -> tuple[RuleResult, ...]:
    """The results so far and this stage's, its window state updated; a stage that
    fails adds an INTERNAL_ERROR (hold) instead."""
    try:
        hits = evaluate_stage(stage, payment, rules.for_stage(stage), state)
        if not hits:  # most payments
            return handoff.results
        return (*handoff.results, *[h.result() for h in hits])
    except Exception as exc:  # a rule bug must hold the payment, never drop it
        log.exception("velocity stage %s failed on txn %s", stage, payment.txn_id)
        return (*handoff.results, internal_error(f"velocity:{stage}", exc))


def sweep_if_due(
    state: MutableMapping[str, bytes],
    payment: Payment,
    stage: str,
    rules: RuleSet,
    clock: Callable[[], datetime],
) -> None:
    """Sweep the stage's window state when it is an ExpiringState due for a sweep."""
    if isinstance(state, ExpiringState) and state.sweep_due():
        _sweep(state, payment, stage, rules, clock)


def _sweep(
    state: ExpiringState,
    payment: Payment,
    stage: str,
    rules: RuleSet,
    clock: Callable[[], datetime],
) -> None:
    """Delete window state of keys no rule of the stage can see again. The stream's
    time is the payment's event time, but never ahead of the clock: one payment dated
    years ahead must not wipe every key of its partition. A failed sweep is logged
    and changes no decision."""
    now = min(event_time_ms(payment.ts), event_time_ms(clock()))
    before = now - expiry_horizon_ms(rules.for_stage(stage))
    try:
        expired = state.sweep(lambda raw: is_stale(raw, before))
    except Exception:
        log.exception("velocity stage %s: sweeping stale state failed", stage)
        return
    if expired:
        metrics.VELOCITY_KEYS_EXPIRED.inc(expired)
