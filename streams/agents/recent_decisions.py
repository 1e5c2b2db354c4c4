"""Decisions already produced, read back from the `decisions.<member>` topics, so a
payment redelivered after a crash or a rebalance gets the byte-identical decision it got
the first time, whichever worker decided it.

Each decision record carries the digest of the (masked) payment it decided in a header.
The follower reads every served member's decisions topic from `window` ago and keeps
following it, feeding the processor's recent-decision memory. Screening waits until it
caught up with the topics' ends as they were at start-up: a payment redelivered right
after a restart must find its decision."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable
from functools import lru_cache

from confluent_kafka import Consumer, Message, TopicPartition

from streams.kafka import topics
from streams.kafka.client import topic_partitions
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.redelivery import PAYMENT_DIGEST_HEADER
from streams.settings import Settings

log = logging.getLogger(__name__)

Remembered = tuple[str, str, bytes, bytes]  # member, txn_id, payment digest, decision bytes

# The follower's fetches: the broker holds each until this many bytes or this wait.
# With any byte (librdkafka's default) every worker fetched once per decision batch that
# any worker produced: at 2,000 payments/s with two workers, 250-260 fetches a second
# each, more than the payments consumers' own, measured in the broker's request log, all
# paid in the broker and the worker's librdkafka thread on a 2-core machine. Held for the
# wait, about 20 a second; the decisions reach the processor at the next `consume`
# (every 0.1 s) as before, at most one wait later.
FETCH_WAIT_MS = 50
FETCH_MIN_BYTES = 1024 * 1024
# How long a read of decisions waits to gather a batch for the event loop.
CONSUME_TIMEOUT_S = 0.1


class RecentDecisions:
    """Follows the decisions topics of the members served; `ready` once caught up."""

    def __init__(self, settings: Settings, processor: PaymentProcessor, window_s: float) -> None:
        self.settings = settings
        self.processor = processor
        self.window_s = window_s
        self.ready = asyncio.Event()
        self._members: set[str] = set()
        self._added: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def follow(self, members: Iterable[str]) -> None:
        """Also follow these members' decisions (thread-safe; new ones only)."""
        with self._lock:
            for member in members:
                if member not in self._members:
                    self._members.add(member)
                    self._added.append(member)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start following on a daemon thread."""
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name="recent-decisions", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop following; returns once the reader thread ended."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        consumer = Consumer(
            {
                **self.settings.kafka_client_config(),
                "group.id": f"{self.settings.app_id}-recent-decisions",
                "enable.auto.commit": False,
                "enable.partition.eof": False,
                "fetch.wait.max.ms": FETCH_WAIT_MS,
                "fetch.min.bytes": FETCH_MIN_BYTES,
            }
        )
        assigned: list[TopicPartition] = []
        pending: dict[tuple[str, int], int] = {}
        try:
            while not self._stop.is_set():
                added = self._take_added()
                if added:
                    starts, ends = self._positions(consumer, added)
                    assigned += starts
                    consumer.assign(assigned)
                    pending.update({k: v for k, v in ends.items() if v > 0})
                    for tp in starts:
                        if (tp.topic, tp.partition) not in ends:
                            pending.pop((tp.topic, tp.partition), None)
                batch: list[Remembered] = []
                messages = consumer.consume(num_messages=5000, timeout=CONSUME_TIMEOUT_S)
                for message in messages:
                    remembered = _decode(message)
                    if remembered is not None:
                        batch.append(remembered)
                    key = (message.topic() or "", message.partition() or 0)
                    if key in pending and (message.offset() or 0) >= pending[key] - 1:
                        del pending[key]
                if pending and assigned:
                    for tp in consumer.position([TopicPartition(t, p) for t, p in list(pending)]):
                        if tp.offset >= pending.get((tp.topic, tp.partition), 0):
                            pending.pop((tp.topic, tp.partition), None)
                if batch:
                    self._call(self._apply, batch)
                # An empty poll too: some brokers report an end offset short of the last
                # record of a batch.
                if not pending and not messages and not self.ready.is_set() and self._members:
                    log.info("recent decisions loaded")
                    self._call(self.ready.set)
        except Exception:
            log.exception("following decisions failed; redeliveries are decided anew")
            self._call(self.ready.set)
        finally:
            consumer.close()

    def _take_added(self) -> list[str]:
        with self._lock:
            added, self._added = self._added, []
        return added

    def _positions(
        self, consumer: Consumer, members: list[str]
    ) -> tuple[list[TopicPartition], dict[tuple[str, int], int]]:
        """Start offsets (`window` ago) and end offsets of the members' partitions."""
        since_ms = int((time.time() - self.window_s) * 1000)
        names = [topics.decisions_topic(m) for m in members]
        wanted = topic_partitions(consumer, names, since_ms)
        starts = consumer.offsets_for_times(wanted, timeout=10) if wanted else []
        ends: dict[tuple[str, int], int] = {}
        kept: list[TopicPartition] = []
        for tp in starts:
            high = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), 10)[1]
            # -1: nothing at or after the time; follow from the end.
            kept.append(
                TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else high)
            )
            if 0 <= tp.offset < high:
                ends[(tp.topic, tp.partition)] = high
        return kept, ends

    def _apply(self, batch: list[Remembered]) -> None:
        for member, txn_id, digest, value in batch:
            self.processor.remember_decision(member, txn_id, digest, value)

    def _call(self, fn: object, *args: object) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(fn, *args)  # type: ignore[arg-type]


def _decode(message: Message) -> Remembered | None:
    if message.error() is not None:
        return None
    value = message.value()
    key = message.key()
    member = _member_of(message.topic() or "")
    if member is None or not isinstance(value, bytes) or not isinstance(key, bytes):
        return None
    # The digest header is looked for, not every header put in a dict: once per decision
    # of every member served, on a thread that shares the GIL with screening.
    # The last one counts, as the dict of all headers it replaces said.
    for name, digest in reversed(message.headers() or ()):
        if name == PAYMENT_DIGEST_HEADER:
            if not isinstance(digest, bytes):
                return None
            return member, key.decode("utf-8", "replace"), bytes.fromhex(digest.decode()), value
    return None


@lru_cache(maxsize=4096)
def _member_of(topic: str) -> str | None:
    return topics.decisions_member(topic)
