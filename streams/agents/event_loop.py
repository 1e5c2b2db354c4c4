"""The loop every screening agent runs: wait until the state it reads has caught up, then
hand each event's message to the processor and produce the records it returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from time import perf_counter
from typing import Any

import faust

from streams import metrics
from streams.agents.compacted_replica import Follower
from streams.processor import OutRecord, Source


def source_of(message: Any) -> Source:
    """A Faust message's coordinates."""
    return Source(message.topic, message.partition, message.offset, message.key)


async def produce_each(
    app: faust.App,
    stream: Any,
    followers: Sequence[Follower],
    handle: Callable[[Any], list[OutRecord]],
) -> None:
    """Consumes a Faust stream; produces `handle(message)`'s records for each event, in
    order, before Faust acks the event (it flushes the producer before committing)."""
    # Screening before the watchlist (or the rules, links, recent decisions) caught up
    # would allow listed sellers or decide a redelivery anew.
    for follower in followers:
        await follower.ready.wait()
    producer = app.producer
    processing_time = metrics.PROCESSING_TIME
    async for event in stream.events():
        started = perf_counter()
        for record in handle(event.message):
            await producer.send(record.topic, record.key, record.value, None, None, record.headers)
        processing_time.observe(perf_counter() - started)
