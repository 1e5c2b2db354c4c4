"""Velocity rules for one payment in one velocity stage: its keys, the window state they
update and the rules that reach their threshold.

Stateful, so not in the RULES registry: the pipeline calls `evaluate_stage` in each stage
with that stage's table (or `evaluate_all` offline with a dict)."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from streams.model.payment import Payment
from streams.rules.base import RuleResult
from streams.velocity.rule import MAX_WINDOW, VelocityRule, decimal_text
from streams.velocity.rule_set import RuleSet
from streams.velocity.stages import STAGE_KEY_KINDS
from streams.velocity.state import (
    Event,
    decode_state,
    encode_state,
    event_time_ms,
    grace_ms,
    observe,
    txn_ref,
)

log = logging.getLogger(__name__)

# State of a rule no event has touched for this long belongs to a deleted (or long
# disabled) rule: no rule's window plus grace reaches that far back.
_STALE_MS = 2 * (MAX_WINDOW // timedelta(milliseconds=1))

# A stage's rules grouped by key kind, per stage and rule tuple (RuleSet.for_stage gives
# the same tuple for every payment until the rules change); the tuple is kept with its
# grouping, so its id is not reused while the entry lives.
_Grouped = tuple[tuple[str, tuple[VelocityRule, ...]], ...]
_GROUPED: dict[tuple[str, int], tuple[Sequence[VelocityRule], _Grouped]] = {}


def velocity_key(kind: str, payment: Payment) -> str | None:
    """The window key of `payment` for a key kind, None when the payment has none: the
    payee key; `payee key|member`; `member|payer ref` (a digest, never the payer id);
    the member id."""
    payee = payment.payee.key
    if kind == "payee":
        return payee
    if kind == "payee_member":
        return None if payee is None else f"{payee}|{payment.member_id}"
    if kind == "payer":
        return None if payment.payer_ref is None else f"{payment.member_id}|{payment.payer_ref}"
    if kind == "member":
        return payment.member_id
    raise ValueError(f"unknown velocity key kind {kind!r}")


def event_datum(measure: str, payment: Payment) -> str:
    """What a payment contributes to a measure: its amount, its payer ref ("" without a
    payer), its member, or nothing for count."""
    if measure == "sum_amount":
        return decimal_text(payment.amount)
    if measure == "distinct_payers":
        return payment.payer_ref or ""
    if measure == "distinct_members":
        return payment.member_id
    return ""


@dataclass(frozen=True, slots=True)
class VelocityHit:
    """A rule that reached its threshold on a payment: the key it is measured per and the
    observed measure (clipped at 4x the threshold, see streams.velocity.state)."""

    rule: VelocityRule
    key: str
    observed: Decimal

    def result(self) -> RuleResult:
        """The VELOCITY reason. Its effect is the rule's action even in shadow mode; only
        `enforced` hits may change a decision."""
        rule = self.rule
        return RuleResult(
            "VELOCITY",
            rule.action,
            {
                "rule_id": rule.rule_id,
                "rule_version": rule.version,
                "mode": rule.mode,
                "key_kind": rule.key,
                "key": self.key,
                "window": rule.window_text,
                "measure": rule.measure,
                "observed": decimal_text(self.observed),
                "threshold": decimal_text(rule.threshold),
            },
        )

    @property
    def enforced(self) -> bool:
        """Whether the hit changes the decision: an enforced hold or block rule."""
        return self.rule.mode == "enforce" and self.rule.action in ("hold", "block")


def evaluate_stage(
    stage: str,
    payment: Payment,
    rules: Sequence[VelocityRule],
    state: MutableMapping[str, bytes],
) -> list[VelocityHit]:
    """Consumes a payment, the stage's rules (`RuleSet.for_stage(stage)`) and the stage's
    window state (`KIND:KEY` -> encoded state; a Faust table or a dict); updates the state
    and produces the hits, sorted by rule_id. Each state key is read and written at most
    once, and written only when it changed (a redelivery writes nothing)."""
    at = event_time_ms(payment.ts)
    ref = txn_ref(payment.member_id, payment.txn_id)
    hits: list[VelocityHit] = []
    for kind, of_kind in _by_kind(stage, rules):
        applicable = [r for r in of_kind if r.applies_to(payment)]
        key = velocity_key(kind, payment) if applicable else None
        if key is None:
            continue
        state_key = f"{kind}:{key}"
        raw = state.get(state_key)
        stored = _decode(raw, state_key)
        changed = False
        for rule in applicable:
            events = stored.get(rule.rule_id, [])
            event: Event = (at, ref, event_datum(rule.measure, payment))
            updated, observed = observe(events, event, rule)
            if updated != events:
                changed = True
                stored[rule.rule_id] = updated
            if observed >= rule.threshold:
                hits.append(VelocityHit(rule, key, observed))
        for rule_id, events in list(stored.items()):
            if not events or events[-1][0] < at - _STALE_MS:
                del stored[rule_id]
                changed = True
        if not changed:
            continue
        if stored:
            encoded = encode_state(stored)
            state[state_key] = encoded
        elif raw is not None:
            del state[state_key]
    if len(hits) > 1:
        hits.sort(key=_rule_id)
    return hits


def _rule_id(hit: VelocityHit) -> str:
    return hit.rule.rule_id


def _by_kind(stage: str, rules: Sequence[VelocityRule]) -> _Grouped:
    """The stage's key kinds in order, each with its rules of `rules` (in their order);
    ValueError for an unknown stage."""
    kept = _GROUPED.get((stage, id(rules)))
    if kept is not None and kept[0] is rules:
        return kept[1]
    try:
        kinds = STAGE_KEY_KINDS[stage]
    except KeyError:
        raise ValueError(f"unknown velocity stage {stage!r}") from None
    grouped = tuple((kind, tuple(r for r in rules if r.key == kind)) for kind in kinds)
    if isinstance(rules, tuple):  # a list could change under its id
        if len(_GROUPED) >= 64:
            _GROUPED.clear()
        _GROUPED[stage, id(rules)] = (rules, grouped)
    return grouped


def expiry_horizon_ms(rules: Sequence[VelocityRule]) -> int:
    """How far behind the stream's event time a key's newest event may be before no rule
    of `rules` can see it again: the longest window plus grace, or the stale age when
    there are no rules (state of deleted rules goes then)."""
    return max((r.window_ms + grace_ms(r) for r in rules), default=_STALE_MS)


def is_stale(raw: bytes, before_ms: int) -> bool:
    """Whether a key's encoded state holds no event at or after `before_ms` (an
    unreadable state counts as stale: a visit would start it afresh too)."""
    try:
        stored = decode_state(raw)
    except ValueError:
        return True
    return all(not events or events[-1][0] < before_ms for events in stored.values())


def evaluate_all(
    payment: Payment, rule_set: RuleSet, state: MutableMapping[str, bytes]
) -> list[VelocityHit]:
    """Every stage the payment visits, in visiting order, against one state mapping (offline
    screening and backtests): the hits in the order the worker's stages find them."""
    hits: list[VelocityHit] = []
    for stage in rule_set.stages_for(payment):
        hits.extend(evaluate_stage(stage, payment, rule_set.for_stage(stage), state))
    return hits


def _decode(raw: bytes | None, state_key: str) -> dict[str, list[Event]]:
    """Stored state; a corrupt value is logged and replaced (screening goes on with the
    window rebuilt from here rather than failing every payment of the key)."""
    try:
        return decode_state(raw)
    except ValueError as exc:
        log.warning("velocity state %r unreadable, starting afresh: %s", state_key, exc)
        return {}
