"""From one payment message to the records the pipeline writes: a decision (and an alert
for hold/block) or a dead letter. Shared by the worker's agent and offline screening."""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson

from streams.kafka import topics
from streams.model.card_masking import mask_card_bytes, mask_card_numbers
from streams.model.payment import Payment, PaymentError, decode_payment
from streams.model.payment_masking import mask_payment
from streams.ops import metrics
from streams.pipeline.handoff import (
    StageHandoff,
    StageSource,
    UnreadableHandoff,
    decode_record,
    is_enforced,
    stage_key,
)
from streams.pipeline.messages import (
    alert_document,
    dead_letter_document,
    decision_document,
    new_route_document,
    velocity_alert_document,
)
from streams.pipeline.records import Headers, OutRecord, Source
from streams.rules.base import RuleResult, ScreeningContext, WatchlistView
from streams.rules.policy import decide as decide_policy
from streams.rules.verdict import INTERNAL_ERROR, screen
from streams.settings import Settings
from streams.velocity.evaluate import evaluate_all, evaluate_stage, expiry_horizon_ms, is_stale
from streams.velocity.expiry import ExpiringState
from streams.velocity.rule_set import RuleSet
from streams.velocity.state import event_time_ms
from streams.watchlist.links import LinkIndex, derive_links, record_key

log = logging.getLogger(__name__)

# On every decision record: the digest of the masked payment it decided, so a worker that
# reads the decision back can tell a redelivery of that payment from a different payment
# reusing the txn_id.
PAYMENT_DIGEST_HEADER = "screening.payment-digest"


def _fingerprint(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def _internal_error(step: str, exc: Exception) -> RuleResult:
    return RuleResult(
        INTERNAL_ERROR, "hold", {"rule": step, "error": f"{type(exc).__name__}: {exc}"[:300]}
    )


class PaymentProcessor:
    """Consumes payment messages with their source; produces output records.

    Card numbers are masked before anything is decoded or written. A payment redelivered
    (same member, txn_id and bytes) within the recent-decision window gets the
    byte-identical records it got the first time. `rules` (velocity rules) is replaced
    whole when the rules topic changes; `velocity_state` holds window state when every
    stage runs in this process (offline), the worker's stages use their Faust tables.
    """

    def __init__(
        self,
        watchlist: WatchlistView,
        name_threshold: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        recent_decisions: int = 100_000,
        coalition_key: bytes | None = None,
        links: LinkIndex | None = None,
        app_id: str = "screening",
        fail_open_members: frozenset[str] = frozenset(),
        payer_key: bytes | None = None,
    ) -> None:
        self.watchlist = watchlist
        self.app_id = app_id
        self.fail_open_members = fail_open_members
        self.links = links
        self.name_threshold = name_threshold
        self.coalition_key = coalition_key
        self.payer_key = payer_key
        self.clock = clock
        self._recent: OrderedDict[tuple[str, str], tuple[bytes, list[OutRecord]]] = OrderedDict()
        self._recent_max = recent_decisions
        self.rules: RuleSet = RuleSet.EMPTY
        self.velocity_state: dict[str, bytes] = {}

    @classmethod
    def from_settings(
        cls, watchlist: WatchlistView, settings: Settings, links: LinkIndex | None = None
    ) -> PaymentProcessor:
        """A processor configured as the deployment says; `links` shared with whatever
        feeds it (the worker's links replica), a fresh one otherwise."""
        return cls(
            watchlist,
            settings.name_match_threshold,
            coalition_key=settings.coalition_key,
            links=links if links is not None else LinkIndex(settings.link_ttl),
            app_id=settings.app_id,
            fail_open_members=settings.fail_open_members,
            payer_key=settings.payer_key,
        )

    def process(self, raw: bytes, source: Source, member: str | None) -> list[OutRecord]:
        """Decide one payment with every velocity stage run here against
        `velocity_state`, or dead-letter it; `member` is the topic's member (None
        offline, where member_id is taken as given). Offline screening and backtests."""
        admitted = self.admit(raw, source, member)
        if isinstance(admitted, list):
            return admitted
        payment, masked = admitted
        hits = evaluate_all(payment, self.rules, self.velocity_state)
        return self.decide(payment, masked, [h.result() for h in hits])

    def route(self, raw: bytes, source: Source, member: str) -> list[OutRecord]:
        """The worker's first step: dead letter, or the decision when no velocity stage
        applies, or the payment handed to its first velocity stage."""
        admitted = self.admit(raw, source, member)
        if isinstance(admitted, list):
            return admitted
        payment, masked = admitted
        try:
            stages = self.rules.stages_for(payment)
            if not stages:
                return self.decide(payment, masked, [])
            origin = StageSource(source.topic, source.partition, source.offset)
            handoff = StageHandoff(masked, member, origin, stages, (), payment)
            return [self._to_stage(handoff, payment)]
        except Exception as exc:  # a bug must hold the payment, never drop it
            return self._fail_closed(payment, "route", exc)

    def run_stage(
        self, stage: str, value: bytes, state: MutableMapping[str, bytes], source: Source
    ) -> list[OutRecord]:
        """One velocity stage for each payment a stage-topic record carries (one, or a
        batch): update the stage's window state, then hand the payment to its next stage
        or decide it. A stage that fails holds the payment."""
        records: list[OutRecord] = []
        for handoff in decode_record(value, self.payer_key):
            if isinstance(handoff, UnreadableHandoff):
                # Only workers write stage topics: a hand-off they cannot read is a bug
                # or a foreign producer, kept for inspection like any bad payment.
                records.append(
                    self._dead_letter(handoff.value, "INVALID_HANDOFF", handoff.error, source)
                )
            else:
                records += self._run_handoff(stage, handoff, state, source)
        return records

    def _run_handoff(
        self,
        stage: str,
        handoff: StageHandoff,
        state: MutableMapping[str, bytes],
        source: Source,
    ) -> list[OutRecord]:
        payment = handoff.decoded
        if payment is None:
            try:
                payment = decode_payment(handoff.payment, handoff.member, self.payer_key)
            except PaymentError as exc:
                return [self._dead_letter(handoff.payment, "INVALID_HANDOFF", str(exc), source)]
        try:
            hits = evaluate_stage(stage, payment, self.rules.for_stage(stage), state)
            results = (*handoff.results, *(h.result() for h in hits))
        except Exception as exc:  # a rule bug must hold the payment, never drop it
            log.exception("velocity stage %s failed on txn %s", stage, payment.txn_id)
            results = (*handoff.results, _internal_error(f"velocity:{stage}", exc))
        if isinstance(state, ExpiringState) and state.sweep_due():
            self._sweep(state, payment, stage)
        remaining = tuple(s for s in handoff.stages if s != stage)
        try:
            if remaining:
                forwarded = replace(handoff, stages=remaining, results=results, decoded=payment)
                return [self._to_stage(forwarded, payment)]
            return self.decide(payment, handoff.payment, results)
        except Exception as exc:  # a bug must hold the payment, never drop it
            return self._fail_closed(payment, f"velocity:{stage}", exc)

    def _sweep(self, state: ExpiringState, payment: Payment, stage: str) -> None:
        """Delete window state of keys no rule of the stage can see again. The stream's
        time is the payment's event time, but never ahead of the clock: one payment dated
        years ahead must not wipe every key of its partition. A failed sweep is logged
        and changes no decision."""
        now = min(event_time_ms(payment.ts), event_time_ms(self.clock()))
        before = now - expiry_horizon_ms(self.rules.for_stage(stage))
        try:
            expired = state.sweep(lambda raw: is_stale(raw, before))
        except Exception:
            log.exception("velocity stage %s: sweeping stale state failed", stage)
            return
        if expired:
            metrics.VELOCITY_KEYS_EXPIRED.inc(expired)

    def admit(
        self, raw: bytes, source: Source, member: str | None
    ) -> tuple[Payment, bytes] | list[OutRecord]:
        """Mask card numbers, then decode: the payment and its masked bytes, or the
        dead letter (or the remembered records of a redelivered payment)."""
        metrics.payment_consumed(member or "offline")
        masked = mask_payment(raw)
        try:
            payment = decode_payment(masked, member, self.payer_key)
        except PaymentError as exc:
            metrics.dead_letter(member or "offline", exc.code)
            return [self._dead_letter(mask_card_bytes(raw), exc.code, str(exc), source)]
        for kind in payment.payee.invalid:
            metrics.INVALID_IDENTIFIERS.labels(kind).inc()
        cached = self._recalled(payment, _fingerprint(masked))
        return cached if cached is not None else (payment, masked)

    def decide(
        self, payment: Payment, raw: bytes, velocity: Sequence[RuleResult]
    ) -> list[OutRecord]:
        """The decision, its alerts and link records for an admitted payment whose
        velocity results are known; a redelivery gets what the first delivery got."""
        fingerprint = _fingerprint(raw)
        cached = self._recalled(payment, fingerprint)
        if cached is not None:
            return cached
        version = self.watchlist.version
        context = ScreeningContext(
            self.watchlist, payment.ts, self.name_threshold, self.coalition_key, self.links
        )
        kept = [r for r in velocity if is_enforced(r) or r.code == INTERNAL_ERROR]
        fail_open = payment.member_id in self.fail_open_members
        verdict = screen(payment, context, extra=kept, fail_open=fail_open)
        now = self.clock()
        decision = decision_document(payment, verdict, now, version)
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
        if self.links is not None:
            records.extend(self._route_records(payment, decision))
        # The decision last: once it is in the log, what it implies was handed over first.
        records.append(
            OutRecord(
                topics.decisions_topic(payment.member_id),
                payment.txn_id.encode(),
                orjson.dumps(decision),
                [(PAYMENT_DIGEST_HEADER, fingerprint.hex().encode())],
            )
        )
        metrics.observe_decision(payment.member_id, verdict, (now - payment.ts).total_seconds())
        self._remember((payment.member_id, payment.txn_id), fingerprint, records)
        return records

    def remember_decision(self, member: str, txn_id: str, digest: bytes, value: bytes) -> None:
        """A decision read back from `decisions.<member>`: a redelivery of the payment with
        this digest gets exactly this record (alerts and links were produced with it)."""
        record = OutRecord(
            topics.decisions_topic(member),
            txn_id.encode(),
            value,
            [(PAYMENT_DIGEST_HEADER, digest.hex().encode())],
        )
        self._remember((member, txn_id), digest, [record])

    def _fail_closed(self, payment: Payment, step: str, exc: Exception) -> list[OutRecord]:
        """The decision when the pipeline itself failed: hold, INTERNAL_ERROR."""
        log.exception("%s failed on txn %s; holding it", step, payment.txn_id)
        error = _internal_error(step, exc)
        if payment.member_id in self.fail_open_members:
            error = replace(error, effect="allow")
        verdict = decide_policy([error])
        decision = decision_document(payment, verdict, self.clock(), self.watchlist.version)
        metrics.observe_decision(payment.member_id, verdict, 0.0)
        return [
            OutRecord(
                topics.decisions_topic(payment.member_id),
                payment.txn_id.encode(),
                orjson.dumps(decision),
            )
        ]

    def _recalled(self, payment: Payment, fingerprint: bytes) -> list[OutRecord] | None:
        cache_key = (payment.member_id, payment.txn_id)
        cached = self._recent.get(cache_key)
        if cached is None or cached[0] != fingerprint:
            return None
        self._recent.move_to_end(cache_key)
        metrics.REDELIVERIES.inc()
        return cached[1]

    def _to_stage(self, handoff: StageHandoff, payment: Payment) -> OutRecord:
        stage = handoff.stages[0]
        key = stage_key(stage, payment)
        return OutRecord(
            topics.velocity_stage_topic(self.app_id, stage),
            key.encode() if key is not None else None,
            handoff.encode(),
        )

    def _route_records(self, payment: Payment, decision: dict[str, Any]) -> list[OutRecord]:
        """Link records for identifiers this payment tied to a confirmed entry, and a
        NEW_ROUTE alert for each identifier linked for the first time."""
        assert self.links is not None
        updates, new = derive_links(payment, tuple(decision["reasons"]), self.links)
        records = [
            OutRecord(topics.LINKS, record_key(link), orjson.dumps(link.document()))
            for link in updates
        ]
        payee_key = (payment.payee.key or "").encode()
        records += [
            OutRecord(topics.ALERTS, payee_key, orjson.dumps(new_route_document(link, decision)))
            for link in new
        ]
        return records

    def _remember(
        self, cache_key: tuple[str, str], fingerprint: bytes, records: list[OutRecord]
    ) -> None:
        # orjson's output keeps a page-sized allocation while it lives: retained copies
        # are made compact, or 100,000 remembered decisions would cost ~800 MB.
        compact = [replace(r, value=bytes(memoryview(r.value))) for r in records]
        self._recent[cache_key] = (fingerprint, compact)
        if len(self._recent) > self._recent_max:
            self._recent.popitem(last=False)

    def _dead_letter(self, raw: bytes, code: str, error: str, source: Source) -> OutRecord:
        # Error texts quote the values they refuse; keys are the producer's choice.
        error = mask_card_numbers(error)
        key = mask_card_bytes(source.key) if source.key is not None else None
        source = replace(source, key=key)
        document = dead_letter_document(
            raw,
            code,
            error,
            source.topic,
            source.partition,
            source.offset,
            source.key,
            self.clock(),
        )
        headers: Headers = [
            ("dlq.error", error.encode()[:1000]),
            ("dlq.error_code", code.encode()),
            ("dlq.source.topic", source.topic.encode()),
            ("dlq.source.partition", str(source.partition).encode()),
            ("dlq.source.offset", str(source.offset).encode()),
        ]
        return OutRecord(topics.DLQ_PAYMENTS, source.key, orjson.dumps(document), headers)
