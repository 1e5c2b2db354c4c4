"""Plain confluent-kafka producing and reading for commands, the demo and tests (the
worker itself consumes through Faust)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, Producer, TopicPartition

from streams.settings import Settings


@dataclass(frozen=True, slots=True)
class Record:
    """A consumed record."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]
    timestamp_ms: int


def producer(settings: Settings, **overrides: str | int) -> Producer:
    """A producer tuned for throughput (batching, lz4-free for broker compatibility)."""
    config: dict[str, str | int | float | bool] = {
        **settings.kafka_client_config(),
        "linger.ms": 5,
        "batch.num.messages": 10000,
        "queue.buffering.max.messages": 1_000_000,
        "enable.idempotence": False,
        "acks": "all",
    }
    config.update(overrides)
    return Producer(config)


def produce_all(
    client: Producer, topic: str, records: Sequence[tuple[bytes | None, bytes | None]]
) -> None:
    """Produce (key, value) records and wait until the broker has them all."""
    for key, value in records:
        while True:
            try:
                client.produce(topic, value=value, key=key)
                break
            except BufferError:
                client.poll(0.05)
        client.poll(0)
    remaining = client.flush(30)
    if remaining:
        raise RuntimeError(f"{remaining} records to {topic} were not delivered")


def topic_partitions(consumer: Consumer, names: list[str], offset: int) -> list[TopicPartition]:
    """Every partition of those of `names` that exist on the broker, each at `offset` (an
    offset, a logical one such as OFFSET_BEGINNING, or a time in ms for offsets_for_times)."""
    metadata = consumer.list_topics(timeout=10)
    return [
        TopicPartition(name, p, offset)
        for name in names
        if name in metadata.topics
        for p in metadata.topics[name].partitions
    ]


def read(
    settings: Settings,
    topic_names: list[str],
    from_beginning: bool = True,
    idle_timeout_s: float = 5.0,
    until: Callable[[list[Record]], bool] | None = None,
    total_timeout_s: float = 120.0,
) -> Iterator[Record]:
    """Read every partition of the topics by assignment (no consumer group); stop when
    `until(records so far)` holds, after `idle_timeout_s` without records, or at the
    total timeout."""
    consumer = Consumer(
        {
            **settings.kafka_client_config(),
            "group.id": "screening-reader",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 50,
        }
    )
    try:
        start = OFFSET_BEGINNING if from_beginning else OFFSET_END
        consumer.assign(topic_partitions(consumer, topic_names, start))
        seen: list[Record] = []
        deadline = time.monotonic() + total_timeout_s
        last = time.monotonic()
        while time.monotonic() < deadline:
            batch = consumer.consume(num_messages=5000, timeout=0.2)
            for message in batch:
                if message.error() is not None:
                    continue
                record = Record(
                    message.topic() or "",
                    message.partition() or 0,
                    message.offset() or 0,
                    _as_bytes(message.key()),
                    _as_bytes(message.value()),
                    _headers(message.headers()),
                    message.timestamp()[1],
                )
                seen.append(record)
                yield record
            if batch:
                last = time.monotonic()
            if until is not None and until(seen):
                return
            if time.monotonic() - last > idle_timeout_s:
                return
    finally:
        consumer.close()


def _as_bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


def _headers(headers: object) -> dict[str, bytes]:
    pairs = headers if isinstance(headers, list) else []
    return {str(k): _as_bytes(v) or b"" for k, v in pairs}


def read_range(
    settings: Settings,
    topic: str,
    from_offset: int | None = None,
    from_ms: int | None = None,
    to_ms: int | None = None,
    idle_timeout_s: float = 10.0,
) -> Iterator[Record]:
    """Read every partition of one topic from an offset or a broker timestamp (default:
    the beginning) up to the end as it was when reading started, keeping records whose
    timestamp is before `to_ms` when given; ValueError when the topic does not exist."""
    consumer = Consumer(
        {
            **settings.kafka_client_config(),
            "group.id": "screening-reader",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 50,
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        if topic not in metadata.topics or metadata.topics[topic].error is not None:
            raise ValueError(unknown_topic(settings, topic))
        partitions = sorted(metadata.topics[topic].partitions)
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in partitions
        }
        if from_ms is not None:
            starts = consumer.offsets_for_times(
                [TopicPartition(topic, p, from_ms) for p in partitions], timeout=10
            )
        else:
            start = OFFSET_BEGINNING if from_offset is None else from_offset
            starts = [TopicPartition(topic, p, start) for p in partitions]
        # offsets_for_times answers -1 for a partition with nothing at or after the time.
        pending = {
            tp.partition
            for tp in starts
            if tp.offset == OFFSET_BEGINNING or 0 <= tp.offset < ends[tp.partition]
        }
        pending = {p for p in pending if ends[p] > 0}
        consumer.assign([tp for tp in starts if tp.partition in pending])
        last = time.monotonic()
        while pending and time.monotonic() - last < idle_timeout_s:
            batch = consumer.consume(num_messages=5000, timeout=0.5)
            if batch:
                last = time.monotonic()
            for message in batch:
                partition, offset = message.partition() or 0, message.offset() or 0
                if message.error() is not None or partition not in pending:
                    continue
                if offset >= ends[partition] - 1:
                    pending.discard(partition)
                if offset >= ends[partition]:
                    continue
                timestamp = message.timestamp()[1]
                if to_ms is not None and timestamp >= to_ms:
                    continue
                yield Record(
                    topic,
                    partition,
                    offset,
                    _as_bytes(message.key()),
                    _as_bytes(message.value()),
                    _headers(message.headers()),
                    timestamp,
                )
    finally:
        consumer.close()


def unknown_topic(settings: Settings, topic: str) -> str:
    """The one-line answer when `topic` is not in the metadata. On a secured cluster an
    authorizer hides the topics a principal may not describe, so absence may be a refusal."""
    if settings.security_protocol == "PLAINTEXT":
        return f"topic {topic!r} does not exist"
    return f"topic {topic!r} does not exist or these credentials may not see it"
