"""The memory of recent decisions, so that a redelivered payment (same member, txn_id and
masked bytes) gets the byte-identical records it got the first time."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from streams.kafka import topics
from streams.ops import metrics
from streams.pipeline.records import Headers, OutRecord

# A remembered record: topic, key, value and headers (a tuple is a third of the cost of
# an OutRecord to build, and nearly every remembered record is never recalled).
Kept = tuple[str, bytes | None, bytes, Headers]

# On every decision record: the digest of the masked payment it decided, so a worker that
# reads the decision back can tell a redelivery of that payment from a different payment
# reusing the txn_id.
PAYMENT_DIGEST_HEADER = "screening.payment-digest"


def fingerprint(raw: bytes) -> bytes:
    """The digest of a payment's masked bytes (16 bytes)."""
    return hashlib.blake2b(raw, digest_size=16).digest()


def digest_headers(digest: bytes) -> Headers:
    """The headers of a decision record: the digest of the payment it decided."""
    return [(PAYMENT_DIGEST_HEADER, digest.hex().encode())]


def decision_record(member: str, txn_id: str, value: bytes, digest: bytes) -> OutRecord:
    """The `decisions.<member>` record of a decision document, keyed by txn_id and
    carrying the digest of the payment it decided."""
    return OutRecord(topics.decisions_topic(member), txn_id.encode(), value, digest_headers(digest))


class RecentDecisions:
    """The records of the last `capacity` payments decided, by (member, txn_id), each with
    the digest of the payment decided; least recently decided or recalled first out."""

    def __init__(self, capacity: int) -> None:
        self._recent: OrderedDict[tuple[str, str], tuple[bytes, list[Kept]]] = OrderedDict()
        self._capacity = capacity

    def __len__(self) -> int:
        return len(self._recent)

    def recall(self, member: str, txn_id: str, digest: bytes) -> list[OutRecord] | None:
        """The records remembered for this payment if its digest matches (a redelivery,
        counted), else None (never decided, or a different payment reusing the txn_id)."""
        cache_key = (member, txn_id)
        cached = self._recent.get(cache_key)
        if cached is None or cached[0] != digest:
            return None
        self._recent.move_to_end(cache_key)
        metrics.REDELIVERIES.inc()
        return [OutRecord(*kept) for kept in cached[1]]

    def remember(self, member: str, txn_id: str, digest: bytes, records: list[OutRecord]) -> None:
        """Keep `records` as what the payment with this digest got, forgetting the least
        recent payment beyond the capacity."""
        cache_key = (member, txn_id)
        # orjson's output keeps a page-sized allocation while it lives: retained copies
        # are made compact, or 100,000 remembered decisions would cost ~800 MB.
        compact = [(r.topic, r.key, bytes(memoryview(r.value)), r.headers) for r in records]
        self._keep(cache_key, digest, compact)

    def remember_read_back(self, member: str, txn_id: str, digest: bytes, value: bytes) -> None:
        """Keep a decision record read back from `decisions.<member>` (`value` as the
        client returned it, already compact) as all a redelivery of that payment gets
        (alerts and links were produced with it). When this process decided the payment,
        its kept records end with that same decision record: kept alone, not rebuilt."""
        cache_key = (member, txn_id)
        kept = self._recent.get(cache_key)
        if kept is not None and kept[0] == digest:
            if len(kept[1]) > 1:
                self._recent[cache_key] = (digest, kept[1][-1:])
            return
        topic = topics.decisions_topic(member)
        self._keep(cache_key, digest, [(topic, txn_id.encode(), value, digest_headers(digest))])

    def _keep(self, cache_key: tuple[str, str], digest: bytes, records: list[Kept]) -> None:
        self._recent[cache_key] = (digest, records)
        if len(self._recent) > self._capacity:
            self._recent.popitem(last=False)
