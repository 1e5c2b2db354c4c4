"""Faust's sends through librdkafka (confluent-kafka) instead of aiokafka's pure-Python
producer.

Every record the worker writes (decisions, alerts, dead letters, velocity hand-offs,
table changelogs) went through aiokafka's `send`: a Python partitioner, accumulator and
future per record, then the Python sender encoding produce requests and decoding their
responses. In the worker's profile that was about a fifth of the CPU. librdkafka does
all of it in C on its own threads; what stays in Python is one `produce` call, a future
and its delivery callback per record.

Semantics kept: partitions are chosen with Java's murmur2, as aiokafka's default
partitioner does, so a key lands where it did before; idempotence with `acks=all` keeps
each partition's records in order through retries; and `flush` returns only once every
record was delivered, which is what Faust's commit relies on (it flushes the producer,
then commits). A record that could not be delivered fails its future and makes every
later flush raise, so no offset is committed past it.

A flush waits for the records sent before it began, not for librdkafka's queue to run
empty: under a steady load the queue is never empty, and a flush that waited for that
(the commit's, once a second) took up to 1.2 s at 2,000 payments/s while the drain,
reaching `commit_every` acks, waited for the commit. Records are counted per
*generation*: every flush opens a new one and waits until every older one has had a
delivery report for each of its records (one callback object per generation, no
closure per record)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

from confluent_kafka import KafkaError, Message, Producer
from faust.exceptions import ProducerSendError
from faust.types import TP
from faust.types.tuples import RecordMetadata

# How long a flush sleeps between polls while records are still on their way.
FLUSH_POLL_S = 0.001
# How often `send_many` serves delivery reports.
REPORTS_EVERY_S = 0.05
# How long a send waits for room when librdkafka's local queue is full.
QUEUE_FULL_WAIT_S = 0.005

Headers = Sequence[tuple[str, bytes]] | Mapping[str, bytes] | None
# A record to send without a future: topic, key, value, partition (None: by key), headers.
OutRow = tuple[str, bytes | None, bytes | None, int | None, Any]


def native_config(client_config: Mapping[str, Any], linger_ms: int) -> dict[str, Any]:
    """librdkafka producer settings: the connection (security included) plus ordering,
    durability and partitioning as the worker's aiokafka producer had them."""
    return {
        **client_config,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": linger_ms,
        "partitioner": "murmur2_random",
    }


class Generation:
    """Records sent between two flushes: how many were queued and how many delivery reports
    (success or failure) came back for them. Its `report` is their delivery callback."""

    __slots__ = ("reported", "sender", "sent")

    def __init__(self, sender: NativeSender) -> None:
        self.sender = sender
        self.sent = 0
        self.reported = 0

    def report(self, err: KafkaError | None, message: Message) -> None:
        """A delivery report of one of this generation's records."""
        self.reported += 1
        if err is not None:
            self.sender.checked(err, message)

    def outstanding(self) -> int:
        """Records queued whose report has not been served yet."""
        return self.sent - self.reported


class NativeSender:
    """Sends records from the event loop; delivery callbacks run on the loop too (they
    are served by `poll`, which only the loop calls)."""

    def __init__(self, config: Mapping[str, Any], loop: asyncio.AbstractEventLoop) -> None:
        self._producer = Producer(dict(config))
        self._loop = loop
        self.failure: ProducerSendError | None = None
        self._next_poll = 0.0
        # The generation records are sent in now, and older ones not yet wholly reported.
        self._generation = Generation(self)
        self._older: list[Generation] = []

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp_ms: int | None,
        headers: Headers,
    ) -> asyncio.Future[RecordMetadata]:
        """Queue one record; the future resolves when the broker has it."""
        if self.failure is not None:
            raise self.failure
        future: asyncio.Future[RecordMetadata] = self._loop.create_future()
        generation = self._generation

        def delivered(err: KafkaError | None, message: Message) -> None:
            generation.reported += 1
            if future.done():
                return
            if err is not None:
                self.checked(err, message)
                assert self.failure is not None
                future.set_exception(self.failure)
                return
            stamp = message.timestamp()[1]
            tp = TP(topic, message.partition() or 0)
            future.set_result(
                RecordMetadata(topic, tp.partition, tp, message.offset() or 0, stamp / 1000.0, None)
            )

        options: dict[str, Any] = {"on_delivery": delivered}
        if partition is not None:
            options["partition"] = partition
        if timestamp_ms:
            options["timestamp"] = timestamp_ms
        if headers:
            options["headers"] = list(headers.items()) if isinstance(headers, Mapping) else headers
        while True:
            try:
                self._producer.produce(topic, value, key, **options)
                generation.sent += 1
                break
            except BufferError:  # local queue full: let deliveries drain it
                self._producer.poll(0)
                await asyncio.sleep(QUEUE_FULL_WAIT_S)
        self._producer.poll(0)
        return future

    def send_untracked(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        headers: Any,
    ) -> bool:
        """Queue one record with no future to resolve (for records nobody awaits, as the
        agents' output): a delivery failure makes every later flush raise, as with
        `send`. False, with nothing queued, while librdkafka's local queue is full."""
        if self.failure is not None:
            raise self.failure
        generation = self._generation
        try:
            self._producer.produce(
                topic,
                value,
                key,
                partition=-1 if partition is None else partition,
                headers=headers or None,
                on_delivery=generation.report,
            )
        except BufferError:
            self._producer.poll(0)  # let deliveries make room
            return False
        generation.sent += 1
        self._producer.poll(0)
        return True

    def send_many(self, records: Sequence[OutRow], start: int = 0) -> int:
        """Queue `records[start:]` in order, with no future each (as `send_untracked`), until
        librdkafka's local queue is full; how many were queued. Delivery reports are
        served once, after the last."""
        if self.failure is not None:
            raise self.failure
        produce = self._producer.produce
        generation = self._generation
        checked = generation.report
        queued = start
        try:
            for index in range(start, len(records)):
                topic, key, value, partition, headers = records[index]
                produce(
                    topic,
                    value,
                    key,
                    partition=-1 if partition is None else partition,
                    headers=headers or None,
                    on_delivery=checked,
                )
                queued += 1
        except BufferError:
            generation.sent += queued - start
            self._producer.poll(0)  # the rest waits until deliveries made room
            return queued - start
        generation.sent += queued - start
        now = time.monotonic()
        if now >= self._next_poll:
            # Not after every batch: poll releases the GIL, and taking it back waits for
            # whichever thread holds it (up to the 5 ms switch interval), a wait per batch
            # of a few payments at moderate load. The reports wait in librdkafka's queue
            # meanwhile; every flush (so every commit) serves them all.
            self._next_poll = now + REPORTS_EVERY_S
            self._producer.poll(0)
        return queued - start

    def checked(self, err: KafkaError | None, message: Message) -> None:
        """A delivery callback: the first failure is kept, and raised by every later send
        and flush."""
        if err is not None and self.failure is None:
            self.failure = ProducerSendError(f"record to {message.topic()} not delivered: {err}")

    async def delivered(self, future: asyncio.Future[RecordMetadata]) -> RecordMetadata:
        """Serve delivery reports until `future` (from `send`) resolves; its result."""
        self._producer.poll(0)
        while not future.done():
            await asyncio.sleep(FLUSH_POLL_S)
            self._producer.poll(0)
        return future.result()

    def pending(self) -> int:
        """Records queued or in flight, plus events (reports, errors) not yet served."""
        return len(self._producer)

    async def flush(self, timeout_s: float | None = None) -> None:
        """Return once every record sent before the call was delivered (records sent while
        it waits are not waited for); raise if any record was not delivered."""
        deadline = None if timeout_s is None else self._loop.time() + timeout_s
        awaited = [*self._older, self._generation]
        self._generation = Generation(self)
        self._older = awaited
        self._producer.poll(0)
        while outstanding := sum(g.outstanding() for g in awaited):
            if deadline is not None and self._loop.time() >= deadline:
                raise ProducerSendError(f"{outstanding} records not delivered in time")
            await asyncio.sleep(FLUSH_POLL_S)
            self._producer.poll(0)
        self._older = [g for g in self._older if g.outstanding()]
        if self.failure is not None:
            raise self.failure
