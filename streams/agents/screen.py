"""The screening agent: payment messages in; decisions, alerts and dead letters out, or
the payment handed to its first velocity stage (hand-offs batched, see
`streams.pipeline.stage_batches`).

Thin by design: it hands each message to the PaymentProcessor and produces what comes
back. Faust acks the event when the loop moves on and flushes the producer before it
commits, so an offset is committed only after its decision was produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import faust

from streams.agents.compacted_replica import Follower
from streams.agents.event_loop import produce_each, source_of
from streams.kafka import topics
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import OutRecord
from streams.pipeline.stage_batches import StageBatches


def register_screen_agent(
    app: faust.App,
    payments: Any,
    processor: PaymentProcessor,
    replicas: Sequence[Follower],
) -> Any:
    """Register the `screen` agent on the payments topic; returns the agent."""

    @app.agent(payments, name="screen")
    async def screen(stream: Any) -> None:
        def handle(message: Any) -> list[OutRecord]:
            member = topics.member_of(message.topic)
            assert member is not None  # the agent reads payments.<member> topics only
            return processor.route(message.value or b"", source_of(message), member)

        batches = StageBatches.for_app(processor.app_id, app.conf.topic_partitions)
        await produce_each(app, stream, replicas, handle, batches=batches)

    return screen
