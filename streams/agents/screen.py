"""The screening agent: payment messages in; decisions, alerts and dead letters out, or
the payment handed to its first velocity stage (hand-offs batched, see
`streams.pipeline.stage_batches`).

Thin by design: it hands each fetched batch of a partition (`streams.faust_ext.batch_path`),
or a message that reaches its Faust stream, to the PaymentProcessor and produces what comes
back. Offsets are marked acked after their records were handed to the producer, and Faust
flushes the producer before it commits, so an offset is committed only after its decision
was produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import faust

from streams.agents.compacted_replica import Follower
from streams.agents.event_loop import produce_each, route_in_batches, source_of
from streams.faust_ext.batch_path import FetchedRecord
from streams.kafka import topics
from streams.ops.metric_batches import batched
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import OutRecord, Source
from streams.pipeline.stage_batches import StageBatches


def register_screen_agent(
    app: faust.App,
    payments: Any,
    processor: PaymentProcessor,
    replicas: Sequence[Follower],
    batch_max: int = 500,
) -> Any:
    """Register the `screen` agent on the payments topic, its fetched batches routed to
    the processor a partition at a time; returns the agent."""

    def handle_batch(
        topic: str, partition: int, records: Sequence[FetchedRecord]
    ) -> list[OutRecord]:
        member = topics.member_of(topic)
        assert member is not None  # the agent reads payments.<member> topics only
        route = processor.route
        out: list[OutRecord] = []
        with batched():
            for record in records:
                source = Source(topic, partition, record.offset(), record.key())
                out += route(record.value() or b"", source, member)
        return out

    batches = StageBatches.for_app(processor.app_id, app.conf.topic_partitions)
    route_in_batches(app, payments, replicas, handle_batch, batch_max, batches=batches)

    @app.agent(payments, name="screen")
    async def screen(stream: Any) -> None:
        def handle(message: Any) -> list[OutRecord]:
            member = topics.member_of(message.topic)
            assert member is not None  # the agent reads payments.<member> topics only
            return processor.route(message.value or b"", source_of(message), member)

        batches = StageBatches.for_app(processor.app_id, app.conf.topic_partitions)
        await produce_each(app, stream, replicas, handle, batches=batches)

    return screen
