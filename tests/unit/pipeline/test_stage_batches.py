"""Hand-offs batched per stage-topic partition (streams/pipeline/stage_batches.py) and read back
by a stage (streams.pipeline.handoff.decode_record, PaymentProcessor.run_stage): each goes
to the partition its key would go to alone, in order, and a batch is decided exactly as
its hand-offs one by one."""

from __future__ import annotations

import orjson
import pytest
from aiokafka.partitioner import DefaultPartitioner

from streams.kafka import topics
from streams.pipeline import stage_batches
from streams.pipeline.handoff import StageHandoff, UnreadableHandoff, decode_record
from streams.pipeline.records import OutRecord, Source
from streams.pipeline.stage_batches import MAX_BATCH, StageBatches, encode_batch, key_partition
from streams.velocity.stages import STAGES
from tests.unit.pipeline.stage_stream import new_processor, payment, source

PAYEE_TOPIC = topics.velocity_stage_topic("screening", "payee")
PAYER_TOPIC = topics.velocity_stage_topic("screening", "payer")


def batches(partitions: int = 4) -> StageBatches:
    return StageBatches.for_app("screening", partitions)


def handoff(i: int, key: bytes | None = b"payee:x", topic: str = PAYEE_TOPIC) -> OutRecord:
    return OutRecord(topic, key, orjson.dumps({"n": i}))


@pytest.mark.parametrize("partitions", [1, 3, 12])
def test_a_key_goes_to_the_partition_kafkas_default_partitioner_picks(partitions: int) -> None:
    # librdkafka's murmur2 partitioner picks as aiokafka's does: see
    # tests/integration/test_native_producer.py.
    choose = DefaultPartitioner()
    every = list(range(partitions))
    for i in range(500):
        key = f"merchant_id:MID-{i:06d}".encode()
        assert key_partition(key, partitions) == choose(key, every, every)


def test_partitions_stay_kafkas_when_the_remembered_hashes_start_afresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stage_batches, "HASHES_KEPT", 8)
    monkeypatch.setattr(stage_batches, "_hashes", {})
    choose, every = DefaultPartitioner(), list(range(12))
    keys = [f"payee:{i}".encode() for i in range(30)]
    for key in keys + keys:
        assert key_partition(key, 12) == choose(key, every, every)
        assert len(stage_batches._hashes) <= 8


def test_the_stage_topics_of_the_app_are_batched() -> None:
    assert batches().stage_topics == {topics.velocity_stage_topic("screening", s) for s in STAGES}


def test_hand_offs_are_gathered_per_topic_and_partition_in_order() -> None:
    gathered = batches(partitions=4)
    keys = [f"payee:{i}".encode() for i in range(40)]
    assert not gathered
    for i, key in enumerate(keys):
        assert gathered.add(handoff(i, key)) is None
    assert gathered.add(handoff(99, keys[0], PAYER_TOPIC)) is None
    assert gathered
    taken = gathered.take()
    assert not gathered and gathered.take() == []
    by_place = {(topic, part): orjson.loads(value)["handoffs"] for topic, part, value in taken}
    for part in range(4):
        expected = [{"n": i} for i, k in enumerate(keys) if key_partition(k, 4) == part]
        assert by_place.get((PAYEE_TOPIC, part), []) == expected
    assert by_place[(PAYER_TOPIC, key_partition(keys[0], 4))] == [{"n": 99}]
    assert len(taken) == len(by_place)


def test_a_batch_is_sent_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stage_batches, "MAX_BATCH", 3)
    gathered = batches()
    assert [gathered.add(handoff(i)) for i in range(2)] == [None, None]
    full = gathered.add(handoff(2))
    assert full is not None
    topic, part, value = full
    assert (topic, part) == (PAYEE_TOPIC, key_partition(b"payee:x", 4))
    assert orjson.loads(value) == {"handoffs": [{"n": 0}, {"n": 1}, {"n": 2}]}
    assert not gathered
    assert MAX_BATCH == 256  # the real limit, untouched by the patch above


def test_keyless_hand_offs_are_spread_over_the_partitions() -> None:
    gathered = batches(partitions=3)
    for i in range(6):
        gathered.add(handoff(i, key=None))
    taken = gathered.take()
    assert sorted(part for _, part, _ in taken) == [0, 1, 2]
    assert all(len(orjson.loads(value)["handoffs"]) == 2 for _, _, value in taken)


def routed(i: int) -> OutRecord:
    screening = new_processor()
    [record] = screening.route(payment(i), *source(payment(i), i))
    return record


def test_a_record_carries_one_hand_off_or_a_batch() -> None:
    singles = [routed(i) for i in range(3)]
    one = decode_record(singles[0].value, None)
    assert one == [StageHandoff.decode(singles[0].value)]
    batch = decode_record(encode_batch([r.value for r in singles]), None)
    assert batch == [StageHandoff.decode(r.value) for r in singles]


def test_an_unreadable_hand_off_in_a_batch_stands_alone() -> None:
    good = [routed(i).value for i in range(2)]
    bad = orjson.dumps({"payment": "x"})
    read = decode_record(encode_batch([good[0], bad, good[1]]), None)
    assert isinstance(read[1], UnreadableHandoff)
    assert orjson.loads(read[1].value) == {"payment": "x"}
    assert [read[0], read[2]] == [StageHandoff.decode(v) for v in good]


@pytest.mark.parametrize("value", [b"not json", b'{"handoffs": 5}', b"[1, 2]"])
def test_a_record_that_cannot_be_read_is_one_unreadable_hand_off(value: bytes) -> None:
    [read] = decode_record(value, None)
    assert isinstance(read, UnreadableHandoff)
    assert read.value == value
    assert "malformed stage hand-off" in read.error


def test_a_batch_is_decided_as_its_hand_offs_one_by_one() -> None:
    # The rules are of every stage: each payment visits the payee stage first.
    router = new_processor()
    first = [router.route(payment(i), *source(payment(i), i))[0] for i in range(12)]
    at = Source(PAYEE_TOPIC, 0, 5, None)
    one_by_one, state_a = new_processor(), {}  # type: ignore[var-annotated]
    singles = [r for h in first for r in one_by_one.run_stage("payee", h.value, state_a, at)]
    together, state_b = new_processor(), {}  # type: ignore[var-annotated]
    batched = together.run_stage("payee", encode_batch([h.value for h in first]), state_b, at)
    assert batched == singles
    assert state_a == state_b
    assert [r.topic for r in batched] == [PAYER_TOPIC] * 12  # each handed on


def test_an_unreadable_hand_off_is_dead_lettered_and_the_rest_decided() -> None:
    router = new_processor()
    first = [router.route(payment(i), *source(payment(i), i))[0] for i in range(2)]
    value = encode_batch([first[0].value, b'{"payment": 1}', first[1].value])
    records = new_processor().run_stage("payee", value, {}, Source(PAYEE_TOPIC, 2, 7, None))
    assert [r.topic for r in records] == [PAYER_TOPIC, topics.DLQ_PAYMENTS, PAYER_TOPIC]
    letter = orjson.loads(records[1].value)
    assert letter["error_code"] == "INVALID_HANDOFF"
    assert (letter["source_partition"], letter["source_offset"]) == (2, 7)
