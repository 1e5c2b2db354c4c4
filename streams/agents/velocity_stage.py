"""The velocity stage agents: one per key kind, each on its repartition topic
(`screening.velocity.<stage>`), each with its window state in a Faust table
(`velocity.<stage>`) whose changelog makes the state survive a crash or a rebalance.

Thin by design: the PaymentProcessor updates the state and says what to produce next,
the payment's next stage or its decision. Faust acks the event after the records were
handed to the producer and flushes the producer before it commits."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

import faust

from streams import topics
from streams.agents.compacted_replica import Follower
from streams.agents.event_loop import produce_each, source_of
from streams.processor import OutRecord, PaymentProcessor
from streams.settings import Settings


class TableState(MutableMapping[str, bytes]):
    """A Faust table of raw bytes seen through text keys (the state the velocity rules
    read and write)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def __getitem__(self, key: str) -> bytes:
        value = self._table.get(key.encode())
        if value is None:
            raise KeyError(key)
        return bytes(value)

    def __setitem__(self, key: str, value: bytes) -> None:
        self._table[key.encode()] = value

    def __delitem__(self, key: str) -> None:
        del self._table[key.encode()]

    def __iter__(self) -> Iterator[str]:
        return (k.decode() for k in self._table)

    def __len__(self) -> int:
        return len(self._table)


def register_velocity_stages(
    app: faust.App,
    settings: Settings,
    processor: PaymentProcessor,
    replicas: Sequence[Follower],
) -> list[Any]:
    """Register one agent and one table per stage in topics.VELOCITY_STAGES; returns the
    agents."""
    return [
        _register_stage(app, settings, stage, processor, replicas)
        for stage in topics.VELOCITY_STAGES
    ]


def _register_stage(
    app: faust.App,
    settings: Settings,
    stage: str,
    processor: PaymentProcessor,
    replicas: Sequence[Follower],
) -> Any:
    source = app.topic(
        topics.velocity_stage_topic(settings.app_id, stage),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.topic_partitions,
        internal=True,
    )
    table = app.Table(
        topics.velocity_table(stage),
        default=None,
        partitions=settings.topic_partitions,
        key_type=bytes,
        value_type=bytes,
    )
    state = TableState(table)

    @app.agent(source, name=f"velocity-{stage}")
    async def velocity_stage(stream: Any) -> None:
        def handle(message: Any) -> list[OutRecord]:
            return processor.run_stage(stage, message.value or b"", state, source_of(message))

        await produce_each(app, stream, replicas, handle)

    return velocity_stage
