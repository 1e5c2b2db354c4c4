"""A worker's full, live copy of a compacted topic.

State every payment must see whatever partition it arrives on (the watchlist, the links
between identifiers and listed sellers) is replicated, not partitioned: each worker
reads every partition of the topic by assignment (no consumer group) from the start and
keeps following it. Records are decoded on a reader thread and applied on the event loop
in batches, so rules never see a half-applied update. `ready` is set once the replica has
caught up with the end of the topic as it was at start-up.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Generic, Protocol, TypeVar

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition

from streams.settings import Settings

log = logging.getLogger(__name__)

U = TypeVar("U")


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

    def _consumer(self) -> tuple[Consumer, dict[int, int]]:
        config = {
            **self.settings.kafka_client_config(),
            "group.id": f"{self.settings.app_id}-replica-{self.topic}",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            "fetch.wait.max.ms": 50,
        }
        consumer = Consumer(config)
        try:
            metadata = consumer.list_topics(self.topic, timeout=10)
            partitions = sorted(metadata.topics[self.topic].partitions)
            ends = {}
            for p in partitions:
                _low, high = consumer.get_watermark_offsets(
                    TopicPartition(self.topic, p), timeout=10
                )
                ends[p] = high
            consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in partitions])
        except Exception:
            consumer.close()
            raise
        return consumer, ends

    def _run(self) -> None:
        # Until the replica is up the worker screens nothing, so keep trying.
        while True:
            try:
                consumer, ends = self._consumer()
                break
            except Exception as exc:
                log.warning("replica of %s cannot start yet, retrying: %s", self.topic, exc)
                if self._stop.wait(1.0):
                    return
        pending = {p: end for p, end in ends.items() if end > 0}
        if not pending:
            log.info("replica of %s caught up (empty topic)", self.topic)
            self._call(self.ready.set)
        try:
            while not self._stop.is_set():
                messages = consumer.consume(num_messages=2000, timeout=0.1)
                updates: list[U] = []
                for message in messages:
                    error = message.error()
                    if error is not None:
                        if error.code() != KafkaError._PARTITION_EOF:
                            log.warning("replica of %s: %s", self.topic, error)
                        continue
                    update = self.decode(message)
                    if update is not None:
                        updates.append(update)
                if pending:
                    # Positions, not the last offset seen: compaction may leave gaps.
                    for tp in consumer.position([TopicPartition(self.topic, p) for p in pending]):
                        if tp.offset >= pending[tp.partition]:
                            del pending[tp.partition]
                if updates:
                    self._call(self.apply, updates)
                if not pending and not self.ready.is_set():
                    log.info("replica of %s caught up", self.topic)
                    self._call(self.ready.set)
        finally:
            consumer.close()

    def _call(self, fn: Any, *args: object) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(fn, *args)
