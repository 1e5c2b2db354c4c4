"""The worker's producer sending through librdkafka (streams/faust_ext/native_producer.py) against
a real broker: keys land on the partitions aiokafka's default partitioner chose before
(state and hand-offs stay where they were), flush returns only once every record is on
the broker, in order per partition."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.partitioner import DefaultPartitioner

from streams.faust_ext.native_producer import NativeSender, native_config
from streams.kafka import admin
from streams.kafka.client import read
from streams.settings import Settings
from tests.integration.harness import unique

pytestmark = pytest.mark.integration

PARTITIONS = 8


def test_keys_land_where_aiokafka_puts_them_and_flush_waits_for_every_record(
    settings: Settings,
) -> None:
    topic = unique("native")
    admin.ensure_topics(admin.wait_for_broker(settings), [topic], PARTITIONS)
    keys = [f"payee:{i}".encode() for i in range(500)]
    choose = DefaultPartitioner()
    everywhere = list(range(PARTITIONS))

    async def send_all() -> tuple[list[int], int]:
        sender = NativeSender(
            native_config(settings.kafka_client_config(), 2), asyncio.get_running_loop()
        )
        futures = [
            await sender.send(topic, key, b"%d" % i, None, None, [("n", b"%d" % i)])
            for i, key in enumerate(keys * 4)
        ]
        # One record's delivery, awaited on its own (Faust's send_and_wait), arrives
        # without a flush.
        first = await sender.delivered(futures[0])
        assert first.topic == topic and first.offset >= 0
        await sender.flush(timeout_s=30)
        assert all(f.done() for f in futures)
        return [f.result().partition for f in futures], sender.pending()

    partitions, pending = asyncio.run(send_all())
    assert pending == 0
    assert partitions == [choose(key, everywhere, everywhere) for key in keys * 4]
    records = list(read(settings, [topic], idle_timeout_s=2.0, total_timeout_s=30))
    assert len(records) == len(keys) * 4
    # Per partition, in the order sent.
    for partition in everywhere:
        sent = [i for i, p in enumerate(partitions) if p == partition]
        got = [
            int(r.value or b"")
            for r in sorted(records, key=lambda r: r.offset)
            if r.partition == partition
        ]
        assert got == sent
    assert all(r.headers.get("n") == r.value for r in records)
