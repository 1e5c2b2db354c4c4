"""The memory of recent decisions: recalled only for the same payment digest, bounded,
least recently used first out, and decision records carrying the digest."""

from __future__ import annotations

import orjson
from prometheus_client import REGISTRY

from streams.pipeline.records import OutRecord
from streams.pipeline.redelivery import (
    PAYMENT_DIGEST_HEADER,
    RecentDecisions,
    decision_record,
    fingerprint,
)


def redeliveries() -> float:
    return REGISTRY.get_sample_value("screening_redeliveries_total") or 0.0


def records(txn_id: str) -> list[OutRecord]:
    return [OutRecord("decisions.acme", txn_id.encode(), b'{"txn_id":"' + txn_id.encode() + b'"}')]


def test_the_same_payment_is_recalled_and_counted() -> None:
    recent = RecentDecisions(10)
    digest = fingerprint(b"payment")
    recent.remember("acme", "t1", digest, records("t1"))
    before = redeliveries()
    assert recent.recall("acme", "t1", digest) == records("t1")
    assert redeliveries() == before + 1


def test_another_payment_reusing_the_txn_id_is_not_recalled() -> None:
    recent = RecentDecisions(10)
    recent.remember("acme", "t1", fingerprint(b"payment"), records("t1"))
    assert recent.recall("acme", "t1", fingerprint(b"another payment")) is None
    assert recent.recall("beta", "t1", fingerprint(b"payment")) is None


def test_the_memory_is_bounded_least_recently_used_first_out() -> None:
    recent = RecentDecisions(2)
    digest = fingerprint(b"p")
    recent.remember("acme", "t1", digest, records("t1"))
    recent.remember("acme", "t2", digest, records("t2"))
    assert recent.recall("acme", "t1", digest) is not None  # t1 now the most recent
    recent.remember("acme", "t3", digest, records("t3"))
    assert len(recent) == 2
    assert recent.recall("acme", "t2", digest) is None
    assert recent.recall("acme", "t1", digest) == records("t1")
    assert recent.recall("acme", "t3", digest) == records("t3")


def test_remembered_values_are_copies_not_the_produced_bytes() -> None:
    recent = RecentDecisions(1)
    value = orjson.dumps({"decision": "allow"})
    recent.remember("acme", "t1", b"d", [OutRecord("decisions.acme", b"t1", value)])
    [kept] = recent.recall("acme", "t1", b"d") or []
    assert kept.value == value
    assert kept.value is not value


def test_decision_records_carry_the_payment_digest() -> None:
    digest = fingerprint(b"payment")
    assert len(digest) == 16
    record = decision_record("acme", "t1", b"{}", digest)
    assert (record.topic, record.key, record.value) == ("decisions.acme", b"t1", b"{}")
    assert record.headers == [(PAYMENT_DIGEST_HEADER, digest.hex().encode())]
