"""Exactly-once on the decision path, measured: a consume-decide-produce loop with the
worker's decision code (`PaymentProcessor`) and its producer settings (librdkafka,
idempotent, acks=all), committing either at least once (produce, flush, commit the
consumer's offsets) or in Kafka transactions (the decisions and the consumed offsets
committed together, `send_offsets_to_transaction`), so the two can be compared on one
broker in one run, and a SIGKILL mid-transaction checked against a read_committed reader.

`python -m streams.benchmarks.exactly_once` runs it all on a fresh one-node Apache Kafka;
`python -m streams.benchmarks.transactions loop BOOTSTRAP MEMBER GROUP MODE [hold]` is one
loop, as the kill check runs it (`hold`: each batch, once flushed, waits for the check's
go-ahead before its commit; see docs/exactly-once.md)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

import orjson
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from streams.faust_ext.native_producer import native_config
from streams.kafka import topics
from streams.offline import synthetic
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import Source
from streams.settings import Settings
from streams.watchlist.index import WatchlistIndex

AT_LEAST_ONCE = "at_least_once"
EXACTLY_ONCE = "exactly_once"
# The worker commits every second (broker_commit_interval); Kafka Streams' exactly-once
# default is 100 ms, which bounds how long a decision waits to become visible.
COMMIT_INTERVAL_S = {AT_LEAST_ONCE: 1.0, EXACTLY_ONCE: 0.1}
BATCH = 1000
# `loop ... hold` reports each batch flushed and waits for a line before committing it.
HOLD_ARG = "hold"
HELD = "held"


@dataclass
class Loop:
    """One consume-decide-produce loop over `payments.<member>` in group `group`."""

    bootstrap: str
    member: str
    group: str
    mode: str
    commit_interval_s: float
    # Called with (payments in the batch, payments decided in all) once a batch's
    # decisions are flushed to the log and before its offsets are committed: the kill
    # check holds the loop there to SIGKILL it inside an open transaction.
    before_commit: Callable[[int, int], None] | None = None

    def run(self, idle_stop_s: float | None = None) -> int:
        """Decide payments until stopped (or idle for `idle_stop_s` after the first);
        how many decided."""
        settings = Settings(bootstrap_servers=self.bootstrap)
        processor = PaymentProcessor.from_settings(WatchlistIndex(), settings)
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": self.group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
                "fetch.wait.max.ms": 10,
            }
        )
        config = native_config({"bootstrap.servers": self.bootstrap}, linger_ms=2)
        transactional = self.mode == EXACTLY_ONCE
        if transactional:
            # One id per loop: a restarted loop fences its killed predecessor and
            # aborts the transaction it left open.
            config["transactional.id"] = f"{self.group}-screen"
        producer = Producer(config)
        if transactional:
            producer.init_transactions(30)
        consumer.subscribe([topics.payments_topic(self.member)])
        decided, in_batch = 0, 0
        last_commit = last_record = time.monotonic()
        positions: dict[tuple[str, int], int] = {}
        # Idle time counts from the first record: joining the group takes seconds.
        while idle_stop_s is None or decided == 0 or time.monotonic() - last_record < idle_stop_s:
            messages = consumer.consume(BATCH, timeout=0.05)
            for message in messages:
                if message.error() is not None:
                    continue
                if transactional and not in_batch:
                    producer.begin_transaction()
                topic, partition = str(message.topic()), int(message.partition() or 0)
                offset = int(message.offset() or 0)
                source = Source(topic, partition, offset, None)
                for record in processor.process(message.value() or b"", source, self.member):
                    _produce(producer, record.topic, record.key, record.value, record.headers)
                positions[(topic, partition)] = offset + 1
                decided += 1
                in_batch += 1
                last_record = time.monotonic()
            producer.poll(0)
            if in_batch and time.monotonic() - last_commit >= self.commit_interval_s:
                self._commit(producer, consumer, positions, in_batch, decided)
                in_batch, last_commit = 0, time.monotonic()
        if in_batch:
            self._commit(producer, consumer, positions, in_batch, decided)
        consumer.close()
        return decided

    def _commit(
        self,
        producer: Producer,
        consumer: Consumer,
        positions: dict[tuple[str, int], int],
        in_batch: int,
        decided: int,
    ) -> None:
        if self.before_commit is not None:
            if producer.flush(30):
                raise RuntimeError("decisions not delivered")
            self.before_commit(in_batch, decided)
        offsets = [TopicPartition(t, p, o) for (t, p), o in positions.items()]
        if self.mode == EXACTLY_ONCE:
            producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata(), 30)
            producer.commit_transaction(30)
        else:
            if producer.flush(30):
                raise RuntimeError("decisions not delivered")
            consumer.commit(offsets=offsets, asynchronous=False)


def _produce(
    producer: Producer,
    topic: str,
    key: bytes | None,
    value: bytes,
    headers: list[tuple[str, bytes]],
) -> None:
    while True:
        try:
            producer.produce(topic, value, key, headers=list(headers) or None)
            return
        except BufferError:
            producer.poll(0.005)


def feed(
    bootstrap: str, member: str, count: int, rate: float | None, seed: int
) -> dict[str, float]:
    """Produce `count` synthetic payments to `payments.<member>`, at `rate` per second or
    all at once; txn id -> wall time it was handed to the producer."""
    out = Producer({"bootstrap.servers": bootstrap, "linger.ms": 2, "acks": "all"})
    sent: dict[str, float] = {}
    started = time.monotonic()
    for i, payment in enumerate(synthetic.payments([member], count, seed=seed)):
        if rate is not None:
            time.sleep(max(0.0, started + i / rate - time.monotonic()))
        sent[payment["txn_id"]] = time.time()
        _produce(
            out,
            topics.payments_topic(member),
            payment["txn_id"].encode(),
            orjson.dumps(payment),
            [],
        )
        out.poll(0)
    if out.flush(60):
        raise RuntimeError("payments not delivered")
    return sent


def decisions_seen(
    bootstrap: str,
    member: str,
    isolation: str,
    on_record: Callable[[str], None],
    until: Callable[[], bool],
) -> None:
    """Read `decisions.<member>` from the beginning with `isolation` (read_committed or
    read_uncommitted), calling `on_record(txn_id)` per record, until `until()`."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{time.monotonic_ns()}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": isolation,
            "fetch.wait.max.ms": 10,
        }
    )
    consumer.subscribe([topics.decisions_topic(member)])
    try:
        while not until():
            for message in consumer.consume(5000, timeout=0.05):
                error = message.error()
                if error is None:
                    on_record(orjson.loads(message.value() or b"{}")["txn_id"])
                elif error.code() != KafkaError._PARTITION_EOF:
                    raise RuntimeError(str(error))
    finally:
        consumer.close()


def hold_before_commit(report: TextIO, answer: TextIO) -> Callable[[int, int], None]:
    """A `before_commit` that writes `held IN_BATCH DECIDED` to `report` and waits for a
    line on `answer` before the batch is committed (the kill check's side of the pipe)."""

    def hold(in_batch: int, decided: int) -> None:
        report.write(f"{HELD} {in_batch} {decided}\n")
        report.flush()
        if not answer.readline():
            raise SystemExit("kill check gone")

    return hold


def main(argv: list[str]) -> None:
    if argv[:1] == ["loop"]:
        bootstrap, member, group, mode = argv[1:5]
        hold = hold_before_commit(sys.stdout, sys.stdin) if argv[5:6] == [HOLD_ARG] else None
        Loop(bootstrap, member, group, mode, COMMIT_INTERVAL_S[mode], hold).run()
        return
    raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
