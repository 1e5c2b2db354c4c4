"""Every worker's full replica of the compacted `watchlist` topic.

Each worker must hold the whole list, whatever partitions of payments it serves, so the
replica reads every watchlist partition by assignment (no consumer group), from the start,
and keeps following it. Records are decoded on the reader thread and applied on the event
loop, so rules never see a half-applied update. Screening waits for `ready`: the replica
has caught up with the end of the topic as it was at start-up.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from streams import metrics, topics
from streams.settings import Settings
from streams.watchlist_entry import EntryError, Override, WatchlistEntry, decode_entry
from streams.watchlist_index import WatchlistIndex

log = logging.getLogger(__name__)

Update = tuple[str, WatchlistEntry | Override | None, bytes]


class WatchlistReplica:
    """Consumes the `watchlist` topic into a WatchlistIndex; `ready` once caught up."""

    def __init__(self, settings: Settings, index: WatchlistIndex) -> None:
        self.settings = settings
        self.index = index
        self.ready = asyncio.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start following the topic on a daemon thread."""
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name="watchlist-replica", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop following; returns once the reader thread ended."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _consumer(self) -> tuple[Consumer, dict[int, int]]:
        config = {
            **self.settings.kafka_client_config(),
            "group.id": f"{self.settings.app_id}-watchlist-replica",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            "fetch.wait.max.ms": 50,
        }
        consumer = Consumer(config)
        metadata = consumer.list_topics(topics.WATCHLIST, timeout=10)
        partitions = sorted(metadata.topics[topics.WATCHLIST].partitions)
        ends = {}
        for p in partitions:
            _low, high = consumer.get_watermark_offsets(
                TopicPartition(topics.WATCHLIST, p), timeout=10
            )
            ends[p] = high
        consumer.assign([TopicPartition(topics.WATCHLIST, p, OFFSET_BEGINNING) for p in partitions])
        return consumer, ends

    def _run(self) -> None:
        try:
            consumer, ends = self._consumer()
        except Exception:
            log.exception("watchlist replica could not start")
            return
        pending = {p: end for p, end in ends.items() if end > 0}
        if not pending:
            self._call(self.ready.set)
        try:
            while not self._stop.is_set():
                messages = consumer.consume(num_messages=2000, timeout=0.1)
                updates: list[Update] = []
                for message in messages:
                    error = message.error()
                    if error is not None:
                        if error.code() != KafkaError._PARTITION_EOF:
                            log.warning("watchlist replica: %s", error)
                        continue
                    updates.append(self._decode(message.key(), message.value()))
                if pending:
                    # Positions, not the last offset seen: compaction may leave gaps.
                    for tp in consumer.position(
                        [TopicPartition(topics.WATCHLIST, p) for p in pending]
                    ):
                        if tp.offset >= pending[tp.partition]:
                            del pending[tp.partition]
                if updates:
                    self._call(self._apply, updates)
                if not pending and not self.ready.is_set():
                    self._call(self.ready.set)
        finally:
            consumer.close()

    @staticmethod
    def _decode(key: bytes | None, value: bytes | None) -> Update:
        entry_id = (key or b"").decode("utf-8", "replace")
        if value is None:
            return entry_id, None, b""
        try:
            entry, encoded = decode_entry(value)
        except EntryError as exc:
            log.warning("watchlist entry %r ignored: %s", entry_id, exc)
            metrics.WATCHLIST_UPDATES.labels("invalid").inc()
            return "", None, b""
        return entry.entry_id, entry, encoded

    def _apply(self, updates: list[Update]) -> None:
        for entry_id, entry, encoded in updates:
            if not entry_id:
                continue
            if entry is None:
                self.index.delete(entry_id)
                metrics.WATCHLIST_UPDATES.labels("deleted").inc()
            else:
                self.index.upsert(entry, encoded)
                metrics.WATCHLIST_UPDATES.labels("applied").inc()
        metrics.WATCHLIST_ENTRIES.set(len(self.index))
        metrics.WATCHLIST_LAST_UPDATE.set(time.time())

    def _call(self, fn: object, *args: object) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(fn, *args)  # type: ignore[arg-type]
