"""What every screening agent runs: once the state it reads has caught up, hand each fetched
batch of a partition (or, for a message that reaches the agent's Faust stream, each event)
to the processor and produce the records it returns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from time import perf_counter
from typing import Any, cast

import faust

from streams.agents.compacted_replica import Follower
from streams.faust_ext.batch_path import BatchRoute, FetchedRecord, route_batches
from streams.faust_ext.native_producer import OutRow
from streams.faust_ext.transport import Producer
from streams.ops import metrics
from streams.pipeline.records import OutRecord, Source
from streams.pipeline.stage_batches import StageBatches


class TableWrites:
    """Changelog records of the table writes made while one event is handled, as
    (topic, partition, key, value or None for a deletion): `produce_each` sends them
    straight to the producer, ahead of the event's own records, so they are flushed
    before the event's offset is committed. Faust's table path (`Table.__setitem__`: a
    future message, its buffer, a send task and a callback per record) cost about as
    much CPU per payment as the velocity rules themselves."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, int, bytes, bytes | None]] = []

    def take(self) -> list[tuple[str, int, bytes, bytes | None]]:
        """The writes made since the last take, in order."""
        pending, self.pending = self.pending, []
        return pending


def source_of(message: Any) -> Source:
    """A Faust message's coordinates."""
    return Source(message.topic, message.partition, message.offset, message.key)


async def produce_each(
    app: faust.App,
    stream: Any,
    followers: Sequence[Follower],
    handle: Callable[[Any], list[OutRecord]],
    writes: TableWrites | None = None,
    batches: StageBatches | None = None,
) -> None:
    """Consumes a Faust stream; produces `handle(message)`'s records for each event, in
    order, after the table `writes` it made, before Faust acks the event (it flushes
    the producer before committing). Hand-offs to velocity stages are gathered in
    `batches` while more events wait, and sent when none do (or when the producer is
    flushed)."""
    # Screening before the watchlist (or the rules, links, recent decisions) caught up
    # would allow listed sellers or decide a redelivery anew.
    for follower in followers:
        await follower.ready.wait()
    producer = cast(Producer, app.producer)  # the app's transport is streams.faust_ext.transport
    if batches is not None:
        producer.held.append(batches)
    queue = stream.channel.queue
    processing_time = metrics.PROCESSING_TIME
    async for event in stream.events():
        started = perf_counter()
        records = handle(event.message)
        if writes is not None and writes.pending:
            for topic, partition, key, value in writes.take():
                await producer.send_untracked(topic, key, value, partition, None)
        for record in records:
            if batches is not None and record.topic in batches.stage_topics:
                full = batches.add(record)
                if full is not None:
                    topic, partition, value = full
                    await producer.send_untracked(topic, None, value, partition, None)
                continue
            await producer.send_untracked(
                record.topic, record.key, record.value, None, record.headers
            )
        if batches and queue.empty():
            await producer.send_held()
        processing_time.observe(perf_counter() - started)


BatchHandle = Callable[[str, int, Sequence[FetchedRecord]], list[OutRecord]]


def route_in_batches(
    app: faust.App,
    channel: Any,
    followers: Sequence[Follower],
    handle: BatchHandle,
    batch_max: int,
    writes: TableWrites | None = None,
    batches: StageBatches | None = None,
) -> None:
    """Route the fetched records of `channel`'s topics to `handle(topic, partition,
    records)` a partition's batch at a time (`streams.faust_ext.batch_path`), once every
    follower is ready; its records are produced after the table `writes` it made, and the
    hand-offs it made are sent in one record per stage partition at the end of each batch,
    before its offsets are marked acked (Faust flushes the producer before it commits)."""
    producer = cast(Producer, app.producer)  # the app's transport is streams.faust_ext.transport
    processing_time = metrics.PROCESSING_TIME
    crashed = metrics.INTERNAL_ERRORS.labels("agent")

    async def run(topic: str, partition: int, records: Sequence[FetchedRecord]) -> None:
        started = perf_counter()
        out = handle(topic, partition, records)
        rows: list[OutRow] = []
        if writes is not None and writes.pending:
            rows += [(t, key, value, p, None) for t, p, key, value in writes.take()]
        rows += _rows(out, batches)
        await producer.send_batch(rows)
        each = (perf_counter() - started) / len(records)
        for _ in records:
            processing_time.observe(each)

    route_batches(
        app,
        BatchRoute(
            topics=lambda: list(channel.topics),
            handler=run,
            ready=lambda: all(f.ready.is_set() for f in followers),
            max_batch=batch_max,
            on_error=lambda exc: crashed.inc(),
        ),
    )


def _rows(records: Iterable[OutRecord], batches: StageBatches | None) -> list[OutRow]:
    """Output records as rows to send; hand-offs gathered into one record per stage
    partition, which come last."""
    rows: list[OutRow] = []
    for record in records:
        if batches is not None and record.topic in batches.stage_topics:
            full = batches.add(record)
            if full is not None:
                rows.append((full[0], None, full[2], full[1], None))
            continue
        rows.append((record.topic, record.key, record.value, None, record.headers))
    if batches:
        rows += [(topic, None, value, part, None) for topic, part, value in batches.take()]
    return rows
