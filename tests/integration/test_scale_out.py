"""Two workers in one consumer group, loaded past what they can screen (a backlog waiting
when they start, the rest sent as fast as one producer can once they screen): once the load
stops, every partition they consume (the member's payments and the velocity stages'
hand-offs) has its committed offset at its end within 30 s, and every payment is decided.
A partition whose commits stalled behind payments that were fetched and never decided
(the two-worker stall) fails this."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Consumer, TopicPartition

from streams.kafka import topics
from streams.settings import Settings
from streams.velocity.rules_topic import publish_rules
from tests.factories import payment_bytes, velocity_rule
from tests.integration.harness import (
    Collector,
    WorkerProcess,
    prepare_members,
    produce,
    txn_tag,
    unique,
    wait_until,
)

pytestmark = pytest.mark.integration

# Payments in all; the first part is waiting before the workers start, the rest arrives
# while they join and screen, as fast as one producer sends them.
COUNT = 40_000
PRELOADED = 10_000
SELLERS = 500
CATCH_UP_S = 30.0


def payments(member: str, tag: str) -> list[tuple[bytes | None, bytes | None]]:
    """COUNT payments to SELLERS sellers, keyed by transaction."""
    records: list[tuple[bytes | None, bytes | None]] = []
    for i in range(COUNT):
        txn = f"{tag}-{i}"
        payee = {"merchant_id": f"MID-{tag}-{i % SELLERS}", "name": f"Shop {i % SELLERS}"}
        records.append((txn.encode(), payment_bytes(txn, member, payee=payee)))
    return records


def lag_by_partition(settings: Settings, group: str, names: list[str]) -> dict[str, int]:
    """End offset minus the group's committed offset, for every partition of `names`."""
    consumer = Consumer({"bootstrap.servers": settings.bootstrap_servers, "group.id": group})
    try:
        metadata = consumer.list_topics(timeout=10)
        partitions = [
            TopicPartition(name, p) for name in names for p in metadata.topics[name].partitions
        ]
        committed = consumer.committed(partitions, timeout=10)
        lag = {}
        for tp in committed:
            high = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), 10)[1]
            lag[f"{tp.topic}[{tp.partition}]"] = high - max(tp.offset, 0)
        return lag
    finally:
        consumer.close()


def test_two_workers_past_saturation_commit_every_partition_to_its_end(
    own_broker: str, tmp_path: Path
) -> None:
    settings = Settings(bootstrap_servers=own_broker)
    member, tag = unique("scale"), txn_tag("s")
    prepare_members(settings, [member])
    # A payee velocity rule: every payment is handed from one worker to another.
    publish_rules(
        settings,
        [velocity_rule(f"{tag}-count", window="1h", threshold=1_000_000, members=[member])],
    )
    records = payments(member, tag)
    produce(settings, topics.payments_topic(member), records[:PRELOADED])
    group = unique("scale-group")
    workers = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        workers.append(WorkerProcess(own_broker, tmp_path / name, [member], SCREENING_APP_ID=group))
    collector = Collector(settings, [topics.decisions_topic(member)])
    try:
        for worker in workers:
            worker.start()
        assert collector.until(lambda got: len(got) > 0, timeout_s=120), workers[0].log()
        # The rest of the load while the group settles, past saturation.
        loader = threading.Thread(
            target=produce, args=(settings, topics.payments_topic(member), records[PRELOADED:])
        )
        loader.start()
        loader.join(timeout=300)
        stopped = time.monotonic()
        names = [topics.payments_topic(member), *topics.velocity_stage_topics(group)]
        caught_up = wait_until(
            lambda: not any(lag_by_partition(settings, group, names).values()),
            CATCH_UP_S,
            interval_s=1.0,
        )
        lag = lag_by_partition(settings, group, names)
        print(f"committed to the end {time.monotonic() - stopped:.1f}s after the load", lag)
        assert caught_up, f"partitions short of their end offsets: {lag}"
        assert collector.until(lambda got: len({r["key"] for r in got}) >= COUNT, timeout_s=60), (
            f"{len({r['key'] for r in collector.records})} of {COUNT} decided"
        )
        decided = {r["key"] for r in collector.records}
        assert decided == {key for key, _ in records}
        assert all(orjson.loads(r["value"])["decision"] for r in collector.records)  # type: ignore[arg-type]
        for worker in workers:
            worker.assert_alive()
    finally:
        for worker in workers:
            worker.stop()
        collector.close()
