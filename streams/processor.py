"""From one payment message to the records the pipeline writes: a decision (and an alert
for hold/block) or a dead letter. Shared by the worker's agent and offline screening."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from streams import metrics, topics
from streams.links import LinkIndex, derive_links, record_key
from streams.messages import (
    alert_document,
    dead_letter_document,
    decision_document,
    new_route_document,
)
from streams.payment import Payment, PaymentError, decode_payment
from streams.rules.base import ScreeningContext, WatchlistView
from streams.screening import screen
from streams.settings import Settings

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Source:
    """Where a payment message came from."""

    topic: str
    partition: int
    offset: int
    key: bytes | None


@dataclass(frozen=True, slots=True)
class OutRecord:
    """A record to produce."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = field(default_factory=list)


class PaymentProcessor:
    """Consumes payment messages with their source; produces output records.

    A payment redelivered (same member, txn_id and bytes) within the recent-decision
    window gets the byte-identical records it got the first time.
    """

    def __init__(
        self,
        watchlist: WatchlistView,
        name_threshold: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        recent_decisions: int = 100_000,
        coalition_key: bytes | None = None,
        links: LinkIndex | None = None,
    ) -> None:
        self.watchlist = watchlist
        self.links = links
        self.name_threshold = name_threshold
        self.coalition_key = coalition_key
        self.clock = clock
        self._recent: OrderedDict[tuple[str, str], tuple[bytes, list[OutRecord]]] = OrderedDict()
        self._recent_max = recent_decisions

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
        )

    def process(self, raw: bytes, source: Source, member: str | None) -> list[OutRecord]:
        """Decide one payment, or dead-letter it; `member` is the topic's member (None
        offline, where member_id is taken as given)."""
        metrics.payment_consumed(member or "offline")
        try:
            payment = decode_payment(raw, member)
        except PaymentError as exc:
            metrics.dead_letter(member or "offline", exc.code)
            return [self._dead_letter(raw, exc.code, str(exc), source)]

        for kind in payment.payee.invalid:
            metrics.INVALID_IDENTIFIERS.labels(kind).inc()
        fingerprint = hashlib.blake2b(raw, digest_size=16).digest()
        cache_key = (payment.member_id, payment.txn_id)
        cached = self._recent.get(cache_key)
        if cached is not None and cached[0] == fingerprint:
            self._recent.move_to_end(cache_key)
            metrics.REDELIVERIES.inc()
            return cached[1]

        version = self.watchlist.version
        context = ScreeningContext(
            self.watchlist, payment.ts, self.name_threshold, self.coalition_key, self.links
        )
        verdict = screen(payment, context)
        now = self.clock()
        decision = decision_document(payment, verdict, now, version)
        records = [
            OutRecord(
                topics.decisions_topic(payment.member_id),
                payment.txn_id.encode(),
                orjson.dumps(decision),
            )
        ]
        if verdict.decision != "allow":
            alert = alert_document(decision, payment)
            records.append(
                OutRecord(
                    topics.ALERTS,
                    (payment.payee.key or "").encode(),
                    orjson.dumps(alert),
                )
            )
        if self.links is not None:
            records.extend(self._route_records(payment, decision))
        metrics.observe_decision(payment.member_id, verdict, (now - payment.ts).total_seconds())
        self._remember(cache_key, fingerprint, records)
        return records

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
