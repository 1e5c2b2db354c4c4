"""The librdkafka sender's failure path (streams/native_producer.py): a record that
cannot be delivered fails its future, and every later flush and send raises, so Faust
never commits an offset past it. No broker listens on the port used."""

from __future__ import annotations

import asyncio

import pytest
from faust.exceptions import ProducerSendError

from streams.broker import free_port
from streams.native_producer import NativeSender, native_config


def test_an_undelivered_record_fails_its_future_and_every_later_flush() -> None:
    config = {
        **native_config({"bootstrap.servers": f"127.0.0.1:{free_port()}"}, 1),
        "message.timeout.ms": 300,
        "log_level": 0,
    }

    async def scenario() -> None:
        sender = NativeSender(config, asyncio.get_running_loop())
        future = await sender.send("t", b"k", b"v", None, None, None)
        with pytest.raises(ProducerSendError, match="not delivered"):
            await sender.flush(timeout_s=10)
        assert isinstance(future.exception(), ProducerSendError)
        with pytest.raises(ProducerSendError):
            await sender.flush()
        with pytest.raises(ProducerSendError):
            await sender.send("t", b"k", b"v", None, None, None)

    asyncio.run(scenario())


def test_flush_gives_up_at_its_timeout_with_records_still_queued() -> None:
    config = {**native_config({"bootstrap.servers": f"127.0.0.1:{free_port()}"}, 1), "log_level": 0}

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
