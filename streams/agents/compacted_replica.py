"""A worker's full, live copy of a compacted topic.

State every payment must see whatever partition it arrives on (the watchlist, the links
between identifiers and listed sellers) is replicated, not partitioned: each worker
reads every partition of the topic by assignment (no consumer group) from the start and
keeps following it. Records are decoded on a reader thread and applied on the event loop
in batches, so rules never see a half-applied update. `ready` is set once the replica has
caught up with the end of the topic as it was at start-up.

A subclass may resume from state it restored itself (a snapshot, `resume`): reading then
starts, per partition, at the last record the snapshot had read, and that record must come
back first and unchanged; anything else (the topic recreated, the record compacted away)
discards the restored state (`discard`) and replays the topic from the beginning.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Generic, Protocol, TypeVar

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition

from streams.settings import Settings
from streams.watchlist.snapshot import Mark, record_digest

log = logging.getLogger(__name__)

U = TypeVar("U")
Watermarks = dict[int, tuple[int, int]]  # partition -> (low, high) offsets


class Follower(Protocol):
    """State a worker follows on a thread of its own; agents wait for `ready`."""

    ready: asyncio.Event

    def start(self, loop: asyncio.AbstractEventLoop) -> None: ...


class CompactedTopicReplica(Generic[U]):
    """Consumes one compacted topic; subclasses decode records and apply batches."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self.settings = settings
        self.topic = topic
        self.ready = asyncio.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Partition -> how far the applied state has read (event loop's view).
        self.marks: dict[int, Mark] = {}

    @staticmethod
    def key_text(message: Message) -> str:
        """A record's key as text (empty when it has none)."""
        key = message.key()
        return key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key or "")

    def decode(self, message: Message) -> U | None:
        """One record to an update (reader thread); None skips it."""
        raise NotImplementedError

    def apply(self, updates: list[U]) -> None:
        """Apply decoded updates (event loop)."""
        raise NotImplementedError

    def resume(self, watermarks: Watermarks) -> dict[int, Mark]:
        """Restore state read up to the returned marks (reader thread, before reading);
        the default restores nothing, so the topic is read from the beginning."""
        return {}

    def discard(self) -> None:
        """Forget state restored by `resume` (event loop): it did not match the topic."""
        raise NotImplementedError

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start following the topic on a daemon thread."""
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name=f"replica-{self.topic}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop following; returns once the reader thread ended."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _consumer(self) -> tuple[Consumer, dict[int, int], dict[int, Mark]]:
        config = {
            **self.settings.kafka_client_config(),
            "group.id": f"{self.settings.app_id}-replica-{self.topic}",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            # A mark beyond a partition's end (the topic recreated, shorter) is an error
            # to see, not a silent jump to the end; reads from the beginning never hit it.
            "auto.offset.reset": "error",
            "fetch.wait.max.ms": 50,
        }
        consumer = Consumer(config)
        try:
            metadata = consumer.list_topics(self.topic, timeout=10)
            partitions = sorted(metadata.topics[self.topic].partitions)
            watermarks: Watermarks = {}
            for p in partitions:
                watermarks[p] = consumer.get_watermark_offsets(
                    TopicPartition(self.topic, p), timeout=10
                )
            resumed = self.resume(watermarks)
            consumer.assign(
                [TopicPartition(self.topic, p, _start(resumed.get(p))) for p in partitions]
            )
        except Exception:
            consumer.close()
            raise
        return consumer, {p: high for p, (_low, high) in watermarks.items()}, resumed

    def _run(self) -> None:
        # Until the replica is up the worker screens nothing, so keep trying.
        while True:
            try:
                consumer, ends, resumed = self._consumer()
                break
            except Exception as exc:
                log.warning("replica of %s cannot start yet, retrying: %s", self.topic, exc)
                if self._stop.wait(1.0):
                    return
        try:
            self._follow(consumer, ends, resumed)
        finally:
            consumer.close()

    def _follow(self, consumer: Consumer, ends: dict[int, int], resumed: dict[int, Mark]) -> None:
        # Every partition has a mark, Mark(0) until a record of it is read.
        reading = {p: resumed.get(p, Mark(0)) for p in ends}
        verify = {p: mark for p, mark in resumed.items() if mark.last_offset >= 0}
        pending = {p: end for p, end in ends.items() if end > max(0, _start(resumed.get(p)))}
        caught_up = False
        while not self._stop.is_set():
            if not pending and not verify and not caught_up:
                caught_up = True
                log.info("replica of %s caught up", self.topic)
                self._call(self._apply_marked, [], dict(reading))
                self._call(self.ready.set)
            messages = consumer.consume(num_messages=2000, timeout=0.1)
            updates: list[U] = []
            last: dict[int, Message] = {}
            mismatch = False
            for message in messages:
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._AUTO_OFFSET_RESET:
                        mismatch = True  # a mark out of the partition's range
                        break
                    if error.code() != KafkaError._PARTITION_EOF:
                        log.warning("replica of %s: %s", self.topic, error)
                    continue
                partition = int(message.partition() or 0)
                if partition in verify:
                    if not _is_mark(message, verify.pop(partition)):
                        mismatch = True
                        break
                    continue  # the snapshot's last record, already applied
                last[partition] = message
                update = self.decode(message)
                if update is not None:
                    updates.append(update)
            if not mismatch and (pending or verify):
                # Positions, not the last offset seen: compaction may leave gaps.
                watched = [TopicPartition(self.topic, p) for p in sorted({*pending, *verify})]
                for tp in consumer.position(watched):
                    if tp.partition in pending and tp.offset >= pending[tp.partition]:
                        del pending[tp.partition]
                    mark = verify.get(tp.partition)
                    if mark is not None and tp.offset > mark.last_offset:
                        mismatch = True  # read past the mark without meeting it
            if mismatch:
                log.warning(
                    "replica of %s: the topic no longer holds the restored state's last "
                    "records; discarding it and reading from the beginning",
                    self.topic,
                )
                self._call(self.discard)
                reading, verify, caught_up = {p: Mark(0) for p in ends}, {}, False
                pending = {p: end for p, end in ends.items() if end > 0}
                consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in ends])
                continue
            for partition, message in last.items():
                reading[partition] = _mark_of(message)
            if last:
                self._call(self._apply_marked, updates, dict(reading))

    def _apply_marked(self, updates: list[U], marks: dict[int, Mark]) -> None:
        if updates:
            self.apply(updates)
        self.marks = marks

    def _call(self, fn: Any, *args: object) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(fn, *args)


def _start(mark: Mark | None) -> int:
    """Where reading a partition starts: the mark's last record (to check it), else the
    beginning."""
    return OFFSET_BEGINNING if mark is None or mark.last_offset < 0 else mark.last_offset


def _mark_of(message: Message) -> Mark:
    offset = int(message.offset() or 0)
    return Mark(offset + 1, offset, record_digest(message.key(), message.value()))


def _is_mark(message: Message, mark: Mark) -> bool:
    """True when `message` is the record the mark was taken at."""
    return message.offset() == mark.last_offset and (
        record_digest(message.key(), message.value()) == mark.last_digest
    )
