"""The screening agent: payment messages in; decisions, alerts and dead letters out, or
the payment handed to its first velocity stage.

Thin by design: it hands each message to the PaymentProcessor and produces what comes
back. Faust acks the event when the loop moves on and flushes the producer before it
commits, so an offset is committed only after its decision was produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from time import perf_counter
from typing import Any

import faust

from streams import metrics, topics
from streams.agents.compacted_replica import Follower
from streams.processor import PaymentProcessor, Source


def register_screen_agent(
    app: faust.App,
    payments: Any,
    processor: PaymentProcessor,
    replicas: Sequence[Follower],
) -> Any:
    """Register the `screen` agent on the payments topic; returns the agent."""

    @app.agent(payments, name="screen")
    async def screen(stream: Any) -> None:
        # Screening before the watchlist is loaded would allow listed sellers.
        for replica in replicas:
            await replica.ready.wait()
        producer = app.producer
        processing_time = metrics.PROCESSING_TIME
        async for event in stream.events():
            started = perf_counter()
            message = event.message
            source = Source(message.topic, message.partition, message.offset, message.key)
            member = topics.member_of(message.topic)
            assert member is not None  # the agent reads payments.<member> topics only
            records = processor.route(message.value or b"", source, member)
            for record in records:
                await producer.send(
                    record.topic, record.key, record.value, None, None, record.headers
                )
            processing_time.observe(perf_counter() - started)

    return screen
