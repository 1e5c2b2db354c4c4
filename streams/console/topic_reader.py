"""The console's one writer: a thread that reads every topic the view needs and applies
what it reads to the store, in topic order.

No consumer group: partitions are assigned here, each from the offset the database keeps
(the beginning for a partition the database has not seen), so a restart resumes and an
empty database rebuilds. Topics are listed again every `refresh_s` seconds, so a new
member's `decisions.<m>`/`payments.<m>`/`resolutions.<m>` are read within seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from streams.console.store import ViewStore
from streams.console.view_fold import Change, changes_of
from streams.kafka import topics
from streams.kafka.acl import CONSOLE_GROUP_PREFIX
from streams.kafka.client import Record
from streams.settings import Settings

log = logging.getLogger(__name__)

Partition = tuple[str, int]
FIXED_TOPICS = (topics.ALERTS, topics.WATCHLIST, topics.LINKS, topics.AUDIT, topics.PROPOSALS)
_MEMBER_PREFIXES = (topics.DECISIONS_PREFIX, topics.PAYMENTS_PREFIX, topics.RESOLUTIONS_PREFIX)


def wanted_topic(name: str) -> bool:
    """True for the topics the view is made of."""
    if name in FIXED_TOPICS:
        return True
    for prefix in _MEMBER_PREFIXES:
        if name.startswith(prefix):
            member = name[len(prefix) :]
            return topics.member_of(topics.PAYMENTS_PREFIX + member) is not None
    return False


class TopicReader:
    """Reads the view's topics into the store on its own thread. `start`/`stop` are
    idempotent; `wait_applied` gives read-your-writes by offset; `caught_up` is the
    readiness of the view."""

    def __init__(
        self,
        settings: Settings,
        store: ViewStore,
        fold: Callable[[Record], list[Change]] | None = None,
        refresh_s: float = 2.0,
    ) -> None:
        self.settings = settings
        self.store = store
        self.fold = fold or (lambda record: changes_of(record, settings.payer_key))
        self.refresh_s = refresh_s
        self._positions: dict[Partition, int] = {}
        self._targets: dict[Partition, int] | None = None
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._refresh_now = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> None:
        """Start reading (once)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="console-topic-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and wait for the thread (idempotent)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=30)
        with self._changed:
            self._changed.notify_all()

    def refresh(self) -> None:
        """List the topics again at once (a topic was just created)."""
        self._refresh_now.set()

    def caught_up(self) -> bool:
        """True once every partition has been read up to its end offset at start."""
        with self._changed:
            if self._targets is None:
                return False
            return all(self._positions.get(tp, 0) >= end for tp, end in self._targets.items())

    def wait_applied(self, topic: str, partition: int, offset: int, timeout_s: float) -> bool:
        """Wait until the record at (topic, partition, offset) is in the view."""
        self.refresh()
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while self._positions.get((topic, partition), 0) <= offset:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stop.is_set():
                    return False
                self._changed.wait(min(remaining, 0.5))
            return True

    # -- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        consumer = Consumer(
            {
                **self.settings.kafka_client_config(),
                # Required by librdkafka; offsets are never committed to it. Named under the
                # console principal's group prefix, so its ACLs cover it on a secured cluster.
                "group.id": f"{CONSOLE_GROUP_PREFIX}.view",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                # A stored offset that retention has passed: read what is left.
                "auto.offset.reset": "earliest",
                "fetch.wait.max.ms": 100,
                "isolation.level": "read_committed",
                "topic.metadata.refresh.interval.ms": 2000,
            }
        )
        assigned: set[Partition] = set()
        next_refresh = 0.0
        try:
            with self._changed:
                self._positions = dict(self.store.offsets())
            while not self._stop.is_set():
                if time.monotonic() >= next_refresh or self._refresh_now.is_set():
                    self._refresh_now.clear()
                    self._assign(consumer, assigned)
                    next_refresh = time.monotonic() + self.refresh_s
                if not assigned:
                    self._stop.wait(0.2)
                    continue
                batch = consumer.consume(num_messages=2000, timeout=0.2)
                self._apply(batch)
                if not self.caught_up():
                    self._note_positions(consumer, assigned)
        except Exception as exc:  # a dead reader must be visible to /healthz
            log.exception("console topic reader stopped")
            self.error = exc
        finally:
            consumer.close()

    def _assign(self, consumer: Consumer, assigned: set[Partition]) -> None:
        try:
            metadata = consumer.list_topics(timeout=10)
        except KafkaException:
            return
        found = {
            (name, p)
            for name, topic in metadata.topics.items()
            if not topic.error and wanted_topic(name)
            for p in topic.partitions
        }
        new = sorted(found - assigned)
        if self._targets is None:
            self._targets = self._ends(consumer, sorted(found))
        if not new:
            return
        with self._changed:
            starts = [
                TopicPartition(t, p, self._positions.get((t, p), OFFSET_BEGINNING)) for t, p in new
            ]
        consumer.incremental_assign(starts)
        assigned.update(new)

    def _ends(self, consumer: Consumer, partitions: list[Partition]) -> dict[Partition, int]:
        ends: dict[Partition, int] = {}
        for topic, partition in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            # A partition whose records were all deleted has nothing left to read.
            ends[(topic, partition)] = high if high > low else 0
        return ends

    def _note_positions(self, consumer: Consumer, assigned: set[Partition]) -> None:
        """Positions after control records (transaction markers) the batch never shows."""
        try:
            positions = consumer.position([TopicPartition(t, p) for t, p in sorted(assigned)])
        except KafkaException:
            return
        with self._changed:
            for tp in positions:
                key = (tp.topic, tp.partition)
                if tp.offset >= 0 and tp.offset > self._positions.get(key, 0):
                    self._positions[key] = tp.offset
            self._changed.notify_all()

    def _apply(self, batch: Sequence[object]) -> None:
        items: list[tuple[str, int, int, list[Change]]] = []
        for message in batch:
            if message.error() is not None:  # type: ignore[attr-defined]
                continue
            record = _record(message)
            try:
                changes = self.fold(record)
            except Exception:  # bad input never stops the view; the offset still moves on
                log.exception(
                    "cannot fold %s[%d]@%d", record.topic, record.partition, record.offset
                )
                changes = []
            items.append((record.topic, record.partition, record.offset, changes))
        if not items:
            return
        self.store.apply(items)
        with self._changed:
            for topic, partition, offset, _ in items:
                self._positions[(topic, partition)] = offset + 1
            self._changed.notify_all()


def _record(message: object) -> Record:
    m = message
    key, value = m.key(), m.value()  # type: ignore[attr-defined]
    return Record(
        m.topic() or "",  # type: ignore[attr-defined]
        m.partition() or 0,  # type: ignore[attr-defined]
        m.offset() or 0,  # type: ignore[attr-defined]
        key.encode() if isinstance(key, str) else key,
        value.encode() if isinstance(value, str) else value,
        {},
        m.timestamp()[1],  # type: ignore[attr-defined]
    )
