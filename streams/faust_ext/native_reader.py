"""Routed partitions read through librdkafka (confluent-kafka) on a thread of its own.

aiokafka fetches in Python: at 2,000 payments/s most of a worker's CPU went to its fetch
requests and responses (small fetches of one or two payments each) and to turning every
record into a Python object on the consumer thread and again on the event loop. librdkafka
fetches and parses in C without the GIL; what stays in Python is a `consume` call per batch
and, per record, its partition read to group the batch.

The reader owns no group: partitions are given to it one by one (`seek`) at the offset to
read next, and taken away (`unassign`); Faust's consumer keeps the group membership, the
commits and the rebalances (`streams.faust_ext.native_fetch`). Every `seek` or `unassign`
of a partition starts a new *epoch* of it; batches are tagged with the epoch they were
read in, and a batch of an older epoch is never delivered (`current`), so nothing read
before a seek reaches the decision path after it.

The thread applies the changes between two polls (a change waits at most `POLL_S`), and
stops reading while `MAX_PENDING` batches wait for the event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition

log = logging.getLogger(__name__)

# How long one poll waits for a first record: also how long a seek waits to be applied.
POLL_S = 0.05
# Batches read and not yet taken by the event loop after which the thread stops reading.
MAX_PENDING = 4
# Records one batch holds at most.
BATCH_RECORDS = 1000
# A partition taken away (the command's offset).
UNASSIGN = -1_000_000

Key = tuple[str, int]
# One partition's records of a batch: (topic, partition), the epoch they were read in, records.
Fetched = tuple[Key, int, list[Message]]


def reader_config(
    client_config: Mapping[str, Any],
    group_id: str,
    fetch_wait_ms: int,
    fetch_min_bytes: int,
    isolation_level: str,
    offset_reset: str,
) -> dict[str, Any]:
    """librdkafka consumer settings for a reader by assignment: nothing committed or stored
    (Faust commits), the fetch wait and size of the worker's consumer, and a fetch queue that
    sends the next fetch as soon as the last one was handed over."""
    return {
        **client_config,
        # Never joined (no subscribe) nor committed to: librdkafka requires one.
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": False,
        "auto.offset.reset": offset_reset,
        "isolation.level": isolation_level,
        "fetch.wait.max.ms": fetch_wait_ms,
        "fetch.min.bytes": fetch_min_bytes,
        # librdkafka's default backs a partition's fetches off for 1 s once this many records
        # wait locally (queued.min.messages, 100k); a short backoff keeps latency bounded.
        "fetch.queue.backoff.ms": 1,
        "queued.min.messages": 20_000,
        "fetch.error.backoff.ms": 50,
    }


class NativeReader:
    """Reads the partitions it is given with one librdkafka consumer on a daemon thread and
    hands their records to the event loop, a batch at a time (`take`)."""

    def __init__(self, config: Mapping[str, Any], loop: asyncio.AbstractEventLoop) -> None:
        self._consumer = Consumer(dict(config))
        self._loop = loop
        # Event loop side: each partition's epoch, and where a paused one reads on.
        self._epochs: dict[Key, int] = {}
        # Shared: changes not yet applied, (partition -> (epoch, offset or UNASSIGN)).
        self._lock = threading.Lock()
        self._changes: dict[Key, tuple[int, int]] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        # Batches read, waiting for the loop; `_waiter` is set when the loop waits for one.
        self._pending: deque[list[Fetched]] = deque()
        self._room = threading.Event()
        self._ready = asyncio.Event()
        self._highs: dict[Key, int] = {}
        # Why the thread stopped reading, raised by `take`: nothing is read any more.
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="native-fetch", daemon=True)
        self._thread.start()

    # --- event loop side ------------------------------------------------------------------

    def seek(self, topic: str, partition: int, offset: int | None) -> None:
        """Read (`topic`, `partition`) from `offset` on (None: from the beginning); what was
        read of it before is never delivered."""
        self._change((topic, partition), OFFSET_BEGINNING if offset is None else offset)

    def unassign(self, topic: str, partition: int) -> None:
        """Stop reading (`topic`, `partition`); what was read of it is never delivered."""
        self._change((topic, partition), UNASSIGN)

    def current(self, key: Key, epoch: int) -> bool:
        """Whether records of `key` read in `epoch` may still be delivered."""
        return self._epochs.get(key) == epoch

    async def take(self) -> list[Fetched]:
        """The next batch read, once there is one, grouped by partition in reading order;
        raises why the thread stopped if it did."""
        while not self._pending:
            if self.failure is not None:
                raise self.failure
            self._ready.clear()
            await self._ready.wait()
        batch = self._pending.popleft()
        self._room.set()
        return batch

    def highwater(self, topic: str, partition: int) -> int:
        """The offset after the partition's last record read (a lower bound of its end
        offset, for Faust's monitor); -1 before any. Not librdkafka's own watermark: asked
        from the event loop while the thread polls, that call waited for the poll."""
        return self._highs.get((topic, partition), -1)

    def close(self) -> None:
        """Stop the thread and the consumer; returns once both ended."""
        self._stop.set()
        self._wake.set()
        self._room.set()
        self._thread.join(timeout=5)

    def _change(self, key: Key, offset: int) -> None:
        epoch = self._epochs.get(key, 0) + 1
        self._epochs[key] = epoch
        with self._lock:
            self._changes[key] = (epoch, offset)
        self._wake.set()

    def _handed(self) -> None:
        self._ready.set()

    # --- reader thread ----------------------------------------------------------------------

    def _run(self) -> None:
        consumer = self._consumer
        applied: dict[Key, int] = {}  # assigned partitions and the epoch they are read in
        try:
            while not self._stop.is_set():
                self._apply(applied)
                if not applied:
                    self._wake.wait(POLL_S)
                    self._wake.clear()
                    continue
                if len(self._pending) >= MAX_PENDING:
                    self._room.wait(POLL_S)
                    self._room.clear()
                    continue
                first = consumer.poll(POLL_S)
                if first is None:
                    continue
                records = [first, *consumer.consume(num_messages=BATCH_RECORDS - 1, timeout=0)]
                batch = self._grouped(records, applied)
                for key, _epoch, group in batch:
                    self._highs[key] = (group[-1].offset() or 0) + 1
                if batch:
                    self._pending.append(batch)
                    self._loop.call_soon_threadsafe(self._handed)
        except Exception as exc:
            log.exception("native fetch stopped")
            self.failure = exc
            self._loop.call_soon_threadsafe(self._handed)
        finally:
            consumer.close()

    def _apply(self, applied: dict[Key, int]) -> None:
        """Apply the changes asked for since the last poll (reader thread)."""
        with self._lock:
            changes, self._changes = self._changes, {}
        if not changes:
            return
        consumer = self._consumer
        gone = [TopicPartition(*key) for key in changes if key in applied]
        if gone:
            consumer.incremental_unassign(gone)
        new = []
        for key, (epoch, offset) in changes.items():
            applied.pop(key, None)
            if offset != UNASSIGN:
                applied[key] = epoch
                new.append(TopicPartition(key[0], key[1], offset))
        if new:
            consumer.incremental_assign(new)

    @staticmethod
    def _grouped(records: list[Message], applied: dict[Key, int]) -> list[Fetched]:
        """Records by partition, each with its partition's epoch (reader thread)."""
        groups: dict[Key, list[Message]] = {}
        for record in records:
            error = record.error()
            if error is not None:  # partition ends are not reported (enable.partition.eof)
                log.warning("native fetch: %s", error)
                continue
            key = (record.topic() or "", record.partition() or 0)
            group = groups.get(key)
            if group is None:
                group = groups[key] = []
            group.append(record)
        return [(key, applied[key], group) for key, group in groups.items() if key in applied]
