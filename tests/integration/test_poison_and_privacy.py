"""Bad input and card data against a real broker: every poison pill lands in
`dlq.payments` with its reason and source offset and payments in = decisions + dead
letters; a card number sent inside payments, in any spacing, appears in no topic the
pipeline writes (decisions, alerts, dead letters, internal stage topics, changelogs)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import orjson
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from streams.kafka import topics
from streams.model.payment import MAX_PAYMENT_BYTES
from streams.settings import Settings
from streams.velocity.rules_topic import publish_rules
from tests.factories import identifier, payment_bytes, velocity_rule, watchlist_entry
from tests.integration.harness import Collector, WorkerProcess, prepare_members, produce, unique

pytestmark = pytest.mark.integration

PANS = {
    "4111111111111111": ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111"],
    "5555555555554444": ["5555.5555.5555.4444", "5555 5555-5555.4444"],
    "378282246310005": ["3782 822463 10005", "378282246310005"],
    "4222222222222": ["4222222222222"],
    "6011000990139424": ["6011 0009 9013 9424"],
}


def poison(member: str) -> dict[str, bytes]:
    return {
        "INVALID_JSON": b'{"txn_id": "p1", "member_id": ',
        "wrong types": payment_bytes("p2", member, amount={"value": 1}, payee="M-1"),
        "missing fields": payment_bytes("p3", member, omit=("currency",)),
        "OVERSIZED": payment_bytes("p4", member, note="x" * MAX_PAYMENT_BYTES),
        "MEMBER_MISMATCH": payment_bytes("p5", "some-other-member"),
        "INVALID_UTF8": b'{"txn_id": "p6\xff\xfe", "member_id": "' + member.encode() + b'"}',
        "NOT_AN_OBJECT": b'["a", "list"]',
    }


def test_poison_pills_are_dead_lettered_with_offsets_and_nothing_is_lost(
    own_broker: str, tmp_path: Path
) -> None:
    settings = Settings(bootstrap_servers=own_broker)
    member = unique("poison")
    prepare_members(settings, [member])
    bad = poison(member)
    records: list[bytes] = []
    for i, value in enumerate(bad.values()):
        records += [value, payment_bytes(f"good-{i}", member)]
    offsets = produce(settings, topics.payments_topic(member), [(b"k", v) for v in records])
    worker = WorkerProcess(own_broker, tmp_path, [member]).start()
    collector = Collector(settings, [topics.decisions_topic(member), topics.DLQ_PAYMENTS])
    try:
        assert collector.until(lambda rs: len(rs) >= len(records), 120), worker.log()
        collector.poll(1.0)
    finally:
        worker.stop()
        collector.close()
    decisions = [r for r in collector.records if r["topic"] == topics.decisions_topic(member)]
    dead = [
        orjson.loads(r["value"]) for r in collector.records if r["topic"] == topics.DLQ_PAYMENTS
    ]  # type: ignore[arg-type]
    assert len(decisions) + len(dead) == len(records)
    assert {orjson.loads(r["value"])["txn_id"] for r in decisions} == {  # type: ignore[arg-type]
        f"good-{i}" for i in range(len(bad))
    }
    by_offset = {d["source_offset"]: d for d in dead}
    for (label, value), offset in zip(bad.items(), offsets[::2], strict=True):
        letter = by_offset[offset]
        assert letter["source_topic"] == topics.payments_topic(member)
        assert base64.b64decode(letter["original_base64"]) == value, label
        assert letter["error_code"] and letter["error"], label
        if label.isupper():
            assert letter["error_code"] == label


def digits_only(data: bytes) -> str:
    return re.sub(rb"[ .\-]", b"", data).decode("latin-1")


def every_record(bootstrap: str) -> list[tuple[str, bytes]]:
    """Every key, value and header of every topic on the broker, with base64 payloads of
    dead letters decoded."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": unique("scan"), "enable.auto.commit": False}
    )
    metadata = consumer.list_topics(timeout=10)
    consumer.assign(
        [
            TopicPartition(name, p, OFFSET_BEGINNING)
            for name, t in metadata.topics.items()
            for p in t.partitions
        ]
    )
    found: list[tuple[str, bytes]] = []
    idle = 0
    while idle < 3:
        batch = consumer.consume(num_messages=5000, timeout=1.0)
        idle = 0 if batch else idle + 1
        for m in batch:
            if m.error() is not None:
                continue
            parts = [m.key() or b"", m.value() or b""]
            parts += [v or b"" for _, v in m.headers() or []]
            if m.topic() == topics.DLQ_PAYMENTS and m.value():
                parts.append(base64.b64decode(orjson.loads(m.value())["original_base64"]))
            found += [(m.topic() or "", p) for p in parts if isinstance(p, bytes)]
    consumer.close()
    return found


def test_card_numbers_in_payments_appear_in_no_topic_the_pipeline_writes(
    own_broker: str, tmp_path: Path
) -> None:
    settings = Settings(bootstrap_servers=own_broker)
    member = unique("cards")
    listed = watchlist_entry("listed-shop", [identifier("merchant_id", "MID-LISTED")])
    prepare_members(settings, [member], [listed])
    every_payment_fires = velocity_rule(f"{member}-all", threshold=1, members=[member])
    publish_rules(settings, [every_payment_fires])
    values: list[bytes] = []
    spellings = [s for variants in PANS.values() for s in variants]
    for i, pan in enumerate(spellings):
        payee = {"merchant_id": "MID-LISTED", "name": f"Shop {pan} Ltd", "account": pan}
        values.append(
            payment_bytes(f"c{i}", member, payee=payee, payer={"id": pan}, note=f"card {pan}")
        )
        values.append(payment_bytes(f"whole-{i}", member, payee={"merchant_id": pan}))
        values.append(b'{"txn_id": "bad-' + str(i).encode() + b'", "card": "' + pan.encode() + b'"')
    worker = WorkerProcess(own_broker, tmp_path, [member]).start()
    produce(
        settings,
        topics.payments_topic(member),
        [
            (pan.encode(), v)
            for v, pan in zip(values, [s for s in spellings for _ in range(3)], strict=True)
        ],
    )
    collector = Collector(settings, [topics.decisions_topic(member), topics.DLQ_PAYMENTS])
    try:
        assert collector.until(lambda rs: len(rs) >= len(values), 120), worker.log()
        collector.poll(2.0)  # alerts and changelogs are written before decisions
    finally:
        worker.stop()
        collector.close()
    written = [
        (topic, data)
        for topic, data in every_record(own_broker)
        if not topic.startswith(topics.PAYMENTS_PREFIX)
        and topic not in (topics.WATCHLIST, topics.RULES)
    ]
    assert {t for t, _ in written} >= {
        topics.decisions_topic(member),
        topics.ALERTS,
        topics.DLQ_PAYMENTS,
        topics.velocity_stage_topic(worker.env["SCREENING_APP_ID"], "payee"),
        f"{worker.env['SCREENING_APP_ID']}-velocity.payee-changelog",
    }
    leaks = [(t, pan) for t, data in written for pan in PANS if pan in digits_only(data)]
    assert not leaks, leaks[:5]
