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

from streams.agents.compacted_replica import Follower
from streams.agents.event_loop import TableWrites, produce_each, route_in_batches, source_of
from streams.faust_ext.batch_path import FetchedRecord
from streams.faust_ext.raw_schema import RawSchema
from streams.kafka import topics
from streams.ops.metric_batches import batched
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import OutRecord, Source
from streams.pipeline.stage_batches import StageBatches
from streams.settings import Settings
from streams.velocity.expiry import SWEEP_EVERY, SWEEP_LIMIT, ExpiringState, KeyExpiry
from streams.velocity.stages import STAGES


class StageTable:
    """A stage's Faust table of raw bytes, the index of its keys by partition and where
    its changelog records go."""

    def __init__(self, table: Any, expiry: KeyExpiry, writes: TableWrites) -> None:
        self.table = table
        self.expiry = expiry
        self.writes = writes
        self._changelog: str | None = None
        self._views: dict[int, TableState] = {}

    @property
    def changelog(self) -> str:
        """The table's changelog topic."""
        if self._changelog is None:
            self._changelog = str(self.table.changelog_topic.get_topic_name())
        return self._changelog

    def at(self, partition: int) -> TableState:
        """The state as the velocity rules read and write it, in `partition`."""
        view = self._views.get(partition)
        if view is None:
            view = self._views[partition] = TableState(self, partition)
        return view


class TableState(ExpiringState):
    """One partition of a stage's table seen through text keys (the state the velocity
    rules read and write). Writes go to the table's data and, as changelog records of
    `partition` (the event's), to the agent's TableWrites: what Faust's
    Table.__setitem__ does, without its per-record buffer, task and callback. They keep
    the partition's keys in last-written order so stale ones can be swept
    (`streams.velocity.expiry`). Iterating and len() see the whole table."""

    def __init__(self, stage_table: StageTable, partition: int) -> None:
        self._stage_table = stage_table
        # The table's store (Faust creates it once, on first use), not looked up through
        # the table's property on every read and write.
        self._data = stage_table.table.data
        self._expiry = stage_table.expiry
        self._partition = partition
        self._events = 0

    def __getitem__(self, key: str) -> bytes:
        value = self._data.get(key.encode())
        if value is None:
            raise KeyError(key)
        return bytes(value)

    def get(self, key: str, default: Any = None) -> Any:
        """The key's state, else `default`: Mapping.get goes through __getitem__ and its
        KeyError for every key not yet in the table, most keys of a stage's payments."""
        raw = key.encode()
        if raw not in self._data:
            return default
        return bytes(self._data[raw])

    def __setitem__(self, key: str, value: bytes) -> None:
        raw = key.encode()
        self._data[raw] = value
        self._write(raw, value)
        self._expiry.written(self._partition, key)

    def __delitem__(self, key: str) -> None:
        raw = key.encode()
        if raw not in self._data:
            raise KeyError(key)
        del self._data[raw]
        self._write(raw, None)
        self._expiry.deleted(self._partition, key)

    def _write(self, key: bytes, value: bytes | None) -> None:
        self._stage_table.writes.pending.append(
            (self._stage_table.changelog, self._partition, key, value)
        )

    def sweep_due(self) -> bool:
        """True on one call in SWEEP_EVERY."""
        self._events += 1
        return self._events % SWEEP_EVERY == 0

    def sweep(self, is_stale: Callable[[bytes], bool]) -> int:
        """Delete this partition's stale keys, longest unwritten first, stopping at the
        first live one; returns how many were deleted."""
        deleted = 0
        for key in self._expiry.oldest(self._partition, SWEEP_LIMIT):
            value = self._data.get(key.encode())
            if value is None:  # gone already (deleted through the changelog, revoked)
                self._expiry.deleted(self._partition, key)
                continue
            if not is_stale(bytes(value)):
                break
            del self[key]
            deleted += 1
        return deleted

    def __iter__(self) -> Iterator[str]:
        return (k.decode() for k in self._data)

    def __len__(self) -> int:
        return len(self._data)


def register_velocity_stages(
    app: faust.App,
    settings: Settings,
    processor: PaymentProcessor,
    replicas: Sequence[Follower],
) -> list[Any]:
    """Register one agent and one table per velocity stage (streams.velocity.stages);
    returns the agents."""
    return [_register_stage(app, settings, stage, processor, replicas) for stage in STAGES]


def _register_stage(
    app: faust.App,
    settings: Settings,
    stage: str,
    processor: PaymentProcessor,
    replicas: Sequence[Follower],
) -> Any:
    source = app.topic(
        topics.velocity_stage_topic(settings.app_id, stage),
        schema=RawSchema(),
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
    writes = TableWrites()
    stage_table = StageTable(table, expiry, writes)

    def handle_batch(
        topic: str, partition: int, records: Sequence[FetchedRecord]
    ) -> list[OutRecord]:
        state = stage_table.at(partition)
        out: list[OutRecord] = []
        with batched():
            for record in records:
                source = Source(topic, partition, record.offset(), record.key())
                out += processor.run_stage(stage, record.value() or b"", state, source)
        return out

    route_in_batches(
        app,
        source,
        replicas,
        handle_batch,
        settings.batch_max,
        writes,
        StageBatches.for_app(settings.app_id, settings.topic_partitions),
    )

    @app.agent(source, name=f"velocity-{stage}")
    async def velocity_stage(stream: Any) -> None:
        def handle(message: Any) -> list[OutRecord]:
            state = stage_table.at(message.partition)
            return processor.run_stage(stage, message.value or b"", state, source_of(message))

        batches = StageBatches.for_app(settings.app_id, settings.topic_partitions)
        await produce_each(app, stream, replicas, handle, writes, batches)

    return velocity_stage
