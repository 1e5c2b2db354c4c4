"""The librdkafka sender's failure path (streams/faust_ext/native_producer.py): a record that
cannot be delivered fails its future, and every later flush and send raises, so Faust
never commits an offset past it. No broker listens on the port used."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from faust.exceptions import ProducerSendError

from streams.faust_ext.native_producer import NativeSender, native_config
from streams.faust_ext.transport import NATIVE_CONFIG_ATTR, Producer
from streams.kafka.broker_profile import profile_for
from streams.kafka.embedded_broker import free_port
from streams.settings import Settings
from streams.worker.app import create_app
from tests.unit.faust_ext.producer_app import producer_app

TANSU_PROFILE = profile_for("tansu_cluster", 1)


def unreachable(**extra: Any) -> dict[str, Any]:
    """Sender settings for a port no broker listens on, quietly, with `extra`."""
    config = native_config({"bootstrap.servers": f"127.0.0.1:{free_port()}"}, 1)
    return {**config, "log_level": 0, **extra}


def test_an_undelivered_record_fails_its_future_and_every_later_flush() -> None:
    config = unreachable(**{"message.timeout.ms": 300})

    async def scenario() -> None:
        sender = NativeSender(config, asyncio.get_running_loop())
        future = await sender.send("t", b"k", b"v", None, None, None)
        with pytest.raises(ProducerSendError, match="not delivered"):
            await sender.flush(timeout_s=30)
        assert isinstance(future.exception(), ProducerSendError)
        with pytest.raises(ProducerSendError):
            await sender.flush()
        with pytest.raises(ProducerSendError):
            await sender.send("t", b"k", b"v", None, None, None)

    asyncio.run(scenario())


def test_flush_gives_up_at_its_timeout_with_records_still_queued() -> None:
    config = unreachable()

    async def scenario() -> None:
        sender = NativeSender(config, asyncio.get_running_loop())
        await sender.send("t", b"k", b"v", 0, 1_700_000_000_000, {"h": b"1"})
        with pytest.raises(ProducerSendError, match="1 records not delivered in time"):
            await sender.flush(timeout_s=0.2)
        assert sender.pending() == 1

    asyncio.run(scenario())


def test_config_keeps_the_connection_and_sets_order_durability_and_partitioner() -> None:
    config = native_config({"bootstrap.servers": "b:9092", "security.protocol": "SSL"}, 2)
    assert config == {
        "bootstrap.servers": "b:9092",
        "security.protocol": "SSL",
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 2,
        "partitioner": "murmur2_random",
    }


def test_the_worker_app_asks_its_producer_to_send_through_librdkafka() -> None:
    settings = Settings(bootstrap_servers="b1:9092,b2:9092")
    app, _ = create_app(settings, ["payments.acme-bank"], TANSU_PROFILE)
    assert getattr(app, NATIVE_CONFIG_ATTR) == settings.kafka_client_config()


def test_send_and_wait_serves_delivery_reports_itself() -> None:
    # Nothing else polls here: without serving reports itself, send_and_wait would wait
    # for ever. The record cannot be delivered, so the report is the failure (after the
    # 300 ms message timeout; 30 s only stops a hang).
    config = unreachable(**{"message.timeout.ms": 300})

    async def scenario() -> None:
        app = producer_app()
        app.on_produce_message = SimpleNamespace(send=lambda **_: None)
        producer = Producer(SimpleNamespace(app=app))
        producer.native = NativeSender(config, asyncio.get_running_loop())
        with pytest.raises(ProducerSendError, match="not delivered"):
            await asyncio.wait_for(
                producer.send_and_wait("t", b"k", b"v", None, None, None), timeout=30
            )

    asyncio.run(scenario())


def test_an_untracked_record_not_delivered_fails_every_later_flush_and_send() -> None:
    config = unreachable(**{"message.timeout.ms": 300})

    async def scenario() -> None:
        sender = NativeSender(config, asyncio.get_running_loop())
        assert sender.send_untracked("t", b"k", b"v", 3, [("h", b"1")])
        # librdkafka also counts events not yet served (an unreachable broker's error
        # can be one of them), so the record is one of at least one.
        assert sender.pending() >= 1
        with pytest.raises(ProducerSendError, match="record to t not delivered"):
            await sender.flush(timeout_s=30)
        with pytest.raises(ProducerSendError):
            sender.send_untracked("t", b"k", b"v", None, None)

    asyncio.run(scenario())


def test_an_untracked_record_is_refused_whole_while_the_local_queue_is_full() -> None:
    config = unreachable(**{"queue.buffering.max.messages": 1})

    async def scenario() -> None:
        sender = NativeSender(config, asyncio.get_running_loop())
        assert sender.send_untracked("t", None, b"first", None, None)
        assert not sender.send_untracked("t", None, b"second", None, None)
        assert sender.pending() >= 1
        assert sender.failure is None

    asyncio.run(scenario())


class Held:
    """Records an agent holds back, as streams.pipeline.stage_batches gathers them."""

    def __init__(self, records: list[tuple[str, int, bytes]]) -> None:
        self.records = records

    def take(self) -> list[tuple[str, int, bytes]]:
        taken, self.records = self.records, []
        return taken


def test_a_flush_sends_the_records_held_back_first_and_waits_for_them() -> None:
    # Faust flushes before it commits: whatever an agent held back (hand-off batches of
    # payments already acked) must be sent, and delivered, before the commit goes on.
    config = unreachable(**{"message.timeout.ms": 300})

    async def scenario() -> None:
        app = producer_app()
        producer = Producer(SimpleNamespace(app=app))
        producer.native = NativeSender(config, asyncio.get_running_loop())
        held = Held([("held-topic", 0, b"batch-1"), ("held-topic", 2, b"batch-2")])
        producer.held.append(held)
        # No broker listens: the held records were sent, and their failed delivery fails
        # the flush (nothing else was sent).
        with pytest.raises(ProducerSendError, match="record to held-topic not delivered"):
            await asyncio.wait_for(producer.flush(), timeout=30)
        assert held.records == []

    asyncio.run(scenario())


def test_a_flush_waits_for_the_records_sent_before_it_not_for_those_sent_while_it_waits() -> None:
    # Under a steady load librdkafka's queue never runs empty; a flush (before each
    # commit) that waited for that never returned while payments kept coming.
    config = unreachable(**{"message.timeout.ms": 60_000})

    async def scenario() -> tuple[bool, bool]:
        sender = NativeSender(config, asyncio.get_running_loop())
        assert sender.send_untracked("t", b"k", b"before", 0, None)
        flushing = asyncio.ensure_future(sender.flush(timeout_s=30))
        await asyncio.sleep(0.05)
        assert sender.send_untracked("t", b"k", b"while flushing", 0, None)
        await asyncio.sleep(0.05)
        waited_for_the_first = not flushing.done()
        before = sender._older[0]
        before.report(None, None)  # type: ignore[arg-type]  # its delivery report
        await asyncio.wait_for(flushing, timeout=5)
        return waited_for_the_first, sender.pending() >= 1

    waited, second_still_queued = asyncio.run(scenario())
    assert waited
    assert second_still_queued
