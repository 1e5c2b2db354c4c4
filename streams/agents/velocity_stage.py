"""The velocity stage agents: one per key kind, each on its repartition topic
(`screening.velocity.<stage>`), each with its window state in a Faust table
(`velocity.<stage>`) whose changelog makes the state survive a crash or a rebalance.

Thin by design: the PaymentProcessor updates the state and says what to produce next,
the payment's next stage or its decision. Faust acks the event after the records were
handed to the producer and flushes the producer before it commits."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import faust

from streams import topics
from streams.agents.compacted_replica import Follower
from streams.agents.event_loop import produce_each, source_of
from streams.processor import OutRecord, PaymentProcessor
from streams.settings import Settings
from streams.velocity_expiry import SWEEP_EVERY, SWEEP_LIMIT, ExpiringState, KeyExpiry


def current_partition() -> int:
    """The partition of the event being processed (where Faust writes changelog records)."""
    event = faust.current_event()
    if event is None:
        raise RuntimeError("velocity state is written outside of an event")
    return int(event.message.partition)


class TableState(ExpiringState):
    """A Faust table of raw bytes seen through text keys (the state the velocity rules
    read and write), remembering each partition's keys in last-written order so stale
    ones can be swept (`streams.velocity_expiry`)."""

    def __init__(
        self,
        table: Any,
        expiry: KeyExpiry,
        partition_of: Callable[[], int] = current_partition,
    ) -> None:
        self._table = table
        self._expiry = expiry
        self._partition_of = partition_of
        self._events = 0

    def __getitem__(self, key: str) -> bytes:
        value = self._table.get(key.encode())
        if value is None:
            raise KeyError(key)
        return bytes(value)

    def __setitem__(self, key: str, value: bytes) -> None:
        self._table[key.encode()] = value
        self._expiry.written(self._partition_of(), key)

    def __delitem__(self, key: str) -> None:
        del self._table[key.encode()]
        self._expiry.deleted(self._partition_of(), key)

    def sweep_due(self) -> bool:
        """True on one call in SWEEP_EVERY."""
        self._events += 1
        return self._events % SWEEP_EVERY == 0

    def sweep(self, is_stale: Callable[[bytes], bool]) -> int:
        """Delete the current partition's stale keys, longest unwritten first, stopping
        at the first live one; returns how many were deleted."""
        partition = self._partition_of()
        deleted = 0
        for key in self._expiry.oldest(partition, SWEEP_LIMIT):
            value = self._table.get(key.encode())
            if value is None:  # gone already (deleted through the changelog, revoked)
                self._expiry.deleted(partition, key)
                continue
            if not is_stale(bytes(value)):
                break
            del self[key]
            deleted += 1
        return deleted

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
    expiry = KeyExpiry()

    async def recovered(event: Any) -> None:
        # Keys restored from the changelog after a restart or a rebalance are swept too.
        key = bytes(event.key).decode()
        if event.message.value is None:
            expiry.deleted(event.message.partition, key)
        else:
            expiry.written(event.message.partition, key)

    table = app.Table(
        topics.velocity_table(stage),
        default=None,
        partitions=settings.topic_partitions,
        key_type=bytes,
        value_type=bytes,
        on_changelog_event=recovered,
    )
    state = TableState(table, expiry)

    @app.agent(source, name=f"velocity-{stage}")
    async def velocity_stage(stream: Any) -> None:
        def handle(message: Any) -> list[OutRecord]:
            return processor.run_stage(stage, message.value or b"", state, source_of(message))

        await produce_each(app, stream, replicas, handle)

    return velocity_stage
