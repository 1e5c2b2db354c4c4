"""A replica resuming from restored state: reading starts at each partition's mark, the
marked record must come back first and unchanged, and anything else (a changed record, a
record compacted away, a partition read past its mark) discards the restored state and
replays the topic from the beginning before the replica says it is ready."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

from streams.agents.compacted_replica import CompactedTopicReplica
from streams.settings import Settings
from streams.watchlist.snapshot import Mark, record_digest

TOPIC = "watchlist"


class Msg:
    """The parts of a confluent-kafka Message the replica reads."""

    def __init__(self, partition: int, offset: int, key: bytes, value: bytes | None) -> None:
        self._p, self._o, self._k, self._v = partition, offset, key, value

    def error(self) -> None:
        return None

    def partition(self) -> int:
        return self._p

    def offset(self) -> int:
        return self._o

    def key(self) -> bytes:
        return self._k

    def value(self) -> bytes | None:
        return self._v


class OutOfRange:
    """The error a consumer reports for an offset beyond a partition's end (reset=error)."""

    def error(self) -> KafkaError:
        return KafkaError(KafkaError._AUTO_OFFSET_RESET)


class FakeConsumer:
    """A topic as {partition: [records]}: delivers from the assigned offsets, in batches."""

    def __init__(self, log: dict[int, list[Msg]], replica: Recording) -> None:
        self.log = log
        self.replica = replica
        self.positions: dict[int, int] = {}
        self.assigned: list[list[tuple[int, int]]] = []

    def assign(self, tps: list[TopicPartition]) -> None:
        self.assigned.append([(tp.partition, tp.offset) for tp in tps])
        self.positions = {tp.partition: max(tp.offset, 0) for tp in tps}

    def consume(self, num_messages: int, timeout: float) -> list[Msg]:
        batch: list[Any] = []
        for p, position in self.positions.items():
            end = self.log[p][-1].offset() + 1 if self.log[p] else 0
            if position > end:
                self.positions[p] = end
                return [OutOfRange()]
            later = [m for m in self.log[p] if m.offset() >= position]
            if later:
                batch.append(later[0])
                self.positions[p] = later[0].offset() + 1
            elif self.log[p]:
                self.positions[p] = max(position, self.log[p][-1].offset() + 1)
        if not batch and self.replica.ready.is_set():
            self.replica._stop.set()
        return batch

    def position(self, tps: list[TopicPartition]) -> list[TopicPartition]:
        return [TopicPartition(TOPIC, tp.partition, self.positions[tp.partition]) for tp in tps]


class Loop:
    """Runs callbacks at once (the test has no event loop thread)."""

    def call_soon_threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        fn(*args)


class Recording(CompactedTopicReplica[tuple[str, bytes | None]]):
    def __init__(self) -> None:
        super().__init__(Settings(), TOPIC)
        self.state: dict[str, bytes | None] = {}
        self.events: list[str] = []
        self._loop = Loop()  # type: ignore[assignment]

    def decode(self, message: Any) -> tuple[str, bytes | None]:
        return message.key().decode(), message.value()

    def apply(self, updates: list[tuple[str, bytes | None]]) -> None:
        for key, value in updates:
            self.state[key] = value
            self.events.append(f"apply {key}")

    def discard(self) -> None:
        self.state.clear()
        self.events.append("discard")


def topic() -> dict[int, list[Msg]]:
    return {
        0: [Msg(0, 0, b"a", b"1"), Msg(0, 1, b"b", b"1"), Msg(0, 2, b"a", b"2")],
        1: [Msg(1, 0, b"c", b"1")],
        2: [],
    }


def mark_of(message: Msg) -> Mark:
    return Mark(
        message.offset() + 1, message.offset(), record_digest(message.key(), message.value())
    )


def follow(log: dict[int, list[Msg]], resumed: dict[int, Mark], restored: dict[str, bytes | None]):
    replica = Recording()
    replica.state.update(restored)
    consumer = FakeConsumer(log, replica)
    ends = {p: (records[-1].offset() + 1 if records else 0) for p, records in log.items()}
    consumer.assign(
        [
            TopicPartition(
                TOPIC,
                p,
                resumed[p].last_offset
                if p in resumed and resumed[p].last_offset >= 0
                else OFFSET_BEGINNING,
            )
            for p in log
        ]
    )
    replica._follow(consumer, ends, resumed)  # type: ignore[arg-type]
    return replica, consumer


def test_from_the_beginning_without_restored_state() -> None:
    replica, _ = follow(topic(), {}, {})
    assert replica.ready.is_set()
    assert replica.state == {"a": b"2", "b": b"1", "c": b"1"}
    assert replica.marks[0] == mark_of(topic()[0][2]) and replica.marks[2] == Mark(0)


def test_resuming_reads_only_what_came_after_the_marks() -> None:
    log = topic()
    resumed = {0: mark_of(log[0][1]), 1: mark_of(log[1][0]), 2: Mark(0)}
    replica, consumer = follow(log, resumed, {"a": b"1", "b": b"1", "c": b"1"})
    assert replica.ready.is_set()
    assert replica.events == ["apply a"]  # only offset 2 of partition 0
    assert replica.state == {"a": b"2", "b": b"1", "c": b"1"}
    assert len(consumer.assigned) == 1
    assert replica.marks == {0: mark_of(log[0][2]), 1: resumed[1], 2: Mark(0)}


def test_a_changed_marked_record_replays_from_the_beginning() -> None:
    log = topic()
    resumed = {0: mark_of(log[0][1]), 1: mark_of(log[1][0]), 2: Mark(0)}
    log[0][1] = Msg(0, 1, b"b", b"changed")  # the topic was recreated and refilled
    replica, consumer = follow(log, resumed, {"a": b"1", "b": b"1", "c": b"1", "stale": b"x"})
    assert replica.ready.is_set()
    assert "discard" in replica.events
    assert replica.state == {"a": b"2", "b": b"changed", "c": b"1"}
    assert consumer.assigned[-1] == [
        (0, OFFSET_BEGINNING),
        (1, OFFSET_BEGINNING),
        (2, OFFSET_BEGINNING),
    ]


def test_a_marked_record_compacted_away_replays_from_the_beginning() -> None:
    log = topic()
    resumed = {0: mark_of(log[0][1]), 1: mark_of(log[1][0]), 2: Mark(0)}
    del log[0][1]  # compaction removed it: the next record comes first
    replica, _ = follow(log, resumed, {"a": b"1", "b": b"1", "c": b"1", "gone": b"x"})
    assert replica.ready.is_set()
    assert replica.events.index("discard") < replica.events.index("apply a")
    assert replica.state == {"a": b"2", "c": b"1"}


def test_ready_waits_for_the_check_of_every_mark() -> None:
    log = topic()
    resumed = {0: mark_of(log[0][2]), 1: mark_of(log[1][0]), 2: Mark(0)}
    replica, _ = follow(log, resumed, {"a": b"2", "b": b"1", "c": b"1"})
    assert replica.ready.is_set() and replica.events == []
    assert replica.marks == resumed


def test_a_mark_beyond_a_shorter_recreated_topic_replays_from_the_beginning() -> None:
    log = topic()
    resumed = {0: mark_of(log[0][2]), 1: mark_of(log[1][0]), 2: Mark(0)}
    log[0] = [Msg(0, 0, b"a", b"new")]  # recreated: one record only
    replica, _ = follow(log, resumed, {"a": b"2", "b": b"1", "c": b"1"})
    assert replica.ready.is_set() and "discard" in replica.events
    assert replica.state == {"a": b"new", "c": b"1"}
