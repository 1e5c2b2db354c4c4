"""The changelog buffer's flush: Faust flushes before it commits, so when flush returns,
every table write buffered before it must have reached the producer, in order, however
slowly the producer takes each one."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from faust.transport.producer import ProducerBuffer

from streams.faust_ext.changelog_buffer import DrainingProducerBuffer
from streams.faust_ext.transport import Producer, Transport
from tests.unit.faust_ext.producer_app import producer_app


class SlowChannel:
    """A topic whose producer takes `delay_s` to accept each write."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.published: list[str] = []

    async def publish_message(self, fut: Any, wait: bool = False) -> None:
        await asyncio.sleep(self.delay_s)
        self.published.append(fut.name)


def write(channel: SlowChannel, name: str) -> Any:
    return SimpleNamespace(name=name, message=SimpleNamespace(channel=channel))


def flushed_after(buffer_class: type[ProducerBuffer], delay_s: float, writes: int) -> list[str]:
    """What a buffer of `writes` changelog writes handed to the producer by the time its
    flush returned."""

    async def scenario() -> list[str]:
        channel = SlowChannel(delay_s)
        buffer = buffer_class()
        buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))  # type: ignore[assignment]
        await buffer.start()
        try:
            for i in range(writes):
                buffer.put(write(channel, f"w{i}"))
            await buffer.flush()
            return list(channel.published)
        finally:
            await asyncio.sleep(delay_s * writes + 0.2)  # let Faust's buffer drain, too
            await buffer.stop()

    return asyncio.run(scenario())


def test_flush_waits_for_every_write_however_slow_the_producer() -> None:
    assert flushed_after(DrainingProducerBuffer, 0.15, 4) == ["w0", "w1", "w2", "w3"]


def test_faust_buffer_gives_up_on_a_slow_producer() -> None:
    # Why the project has its own buffer: Faust's flush returns after 0.1 s without a
    # write reaching the producer, and the commit that follows it would count the
    # unwritten state as done.
    assert len(flushed_after(ProducerBuffer, 0.15, 4)) < 4


def test_flush_of_an_empty_buffer_returns_at_once() -> None:
    assert flushed_after(DrainingProducerBuffer, 10.0, 0) == []


def test_a_stopping_buffer_sends_what_is_left_in_order() -> None:
    async def scenario() -> list[str]:
        channel = SlowChannel(0.01)
        buffer = DrainingProducerBuffer()
        buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))  # type: ignore[assignment]
        for i in range(3):
            buffer.put(write(channel, f"w{i}"))
        await buffer.flush()  # never started: nothing else will send them
        return channel.published

    assert asyncio.run(scenario()) == ["w0", "w1", "w2"]


def test_the_transport_builds_producers_with_the_draining_buffer() -> None:
    assert Transport.Producer is Producer
    app = producer_app()
    producer = Producer(SimpleNamespace(app=app))
    assert isinstance(producer.buffer, DrainingProducerBuffer)
    assert producer.buffer.app is app
