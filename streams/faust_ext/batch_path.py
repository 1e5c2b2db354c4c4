"""Fetched batches handed whole to a handler, past Faust's per-event stream machinery.

Profiled at saturation, the worker spent most of its time around the rules rather than in
them: a Faust `Message`, `Event` and stream step per payment (`Stream.__aiter__`, its
sensors, ack bookkeeping, the agent queue), a delivery handler per message and a produce
call with a poll per record. A topic routed here skips all of that: the drain
(`streams.faust_ext.fast_consumer`) hands the records it fetched for one partition, in
offset order, to the route's handler in one call, the handler decides them and produces
every output record, and only then are their offsets marked acked, exactly as Faust's
`Consumer.ack` marks them. Commits stay Faust's: it flushes the producer (every record
delivered) before it commits an offset, so no offset is committed before its decision was
produced. Faust still owns the app, the consumer group and rebalancing, tables, their
changelogs and recovery; the routed agents keep their Faust stream for any message that
reaches them the usual way.

A batch is what one fetch returned for the partition, at most `max_batch` records per
handler call: the broker answers a fetch as soon as it has data or after the fetch wait
(`SCREENING_FETCH_MAX_WAIT_MS`, 5 ms), so that wait bounds how long a payment waits for its
batch to close."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from time import monotonic
from typing import Any, Protocol, TypeVar

from faust.types.tuples import ack_lock

T = TypeVar("T")

# How often a drain held back by a route that is not ready yet looks again.
NOT_READY_POLL_S = 0.01


class FetchedRecord(Protocol):
    """A fetched record as a route's handler reads it: confluent-kafka's `Message` (the
    native reader's, `streams.faust_ext.native_fetch`) or an aiokafka record adapted."""

    def offset(self) -> int: ...

    def key(self) -> bytes | None: ...

    def value(self) -> bytes | None: ...


class AiokafkaRecord:
    """An aiokafka `ConsumerRecord` read as a `FetchedRecord`."""

    __slots__ = ("record",)

    def __init__(self, record: Any) -> None:
        self.record = record

    def offset(self) -> int:
        return int(self.record.offset)

    def key(self) -> bytes | None:
        key: bytes | None = self.record.key
        return key

    def value(self) -> bytes | None:
        value: bytes | None = self.record.value
        return value


Handler = Callable[[str, int, Sequence[FetchedRecord]], Awaitable[None]]


@dataclass
class BatchRoute:
    """Where a topic's fetched records go: `handler(topic, partition, records)` decides and
    produces them (`FetchedRecord`s of one partition, in offset order);
    `ready()` says whether it may run yet (the state it reads has caught up); `topics`
    the channel's topic names, read at each batch (a new member's topic is added to it)."""

    topics: Callable[[], Sequence[str]]
    handler: Handler
    ready: Callable[[], bool]
    max_batch: int = 500
    on_error: Callable[[BaseException], None] | None = None


ROUTES_ATTR = "screening_batch_routes"


def route_batches(app: Any, route: BatchRoute) -> None:
    """Send the fetched records of `route`'s topics to its handler, a partition's batch at a
    time, instead of through Faust's per-event path (when `app` uses the project's
    transport)."""
    routes: list[BatchRoute] = getattr(app, ROUTES_ATTR, [])
    setattr(app, ROUTES_ATTR, [*routes, route])


def route_for(app: Any, topic: str) -> BatchRoute | None:
    """The route of `topic`, if it has one."""
    routes: list[BatchRoute] = getattr(app, ROUTES_ATTR, [])
    for route in routes:
        if topic in route.topics():
            return route
    return None


def mark_acked(consumer: Any, tp: Any, offsets: Sequence[int]) -> None:
    """What Faust's `Consumer.ack` does for each of these offsets of `tp` (records that
    never became Faust messages): counted towards `commit_every` and committed once every
    offset before them is acked too."""
    with ack_lock:
        committed = consumer._committed_offset[tp]
        acked_index = consumer._acked_index[tp]
        acked = consumer._acked[tp]
        added = 0
        for offset in offsets:
            if (committed is None or offset >= committed) and offset not in acked_index:
                acked_index.add(offset)
                acked.append(offset)
                added += 1
        consumer._n_acked += added
    # Faust's livelock detector reads this to tell a working stream from a stuck one.
    consumer.app.monitor.stream_inbound_time[tp] = monotonic()


async def wait_until_ready(route: BatchRoute, consumer: Any) -> bool:
    """Wait until `route` is ready; False if the consumer's flow was suspended meanwhile
    (a rebalance: the records are fetched again after it)."""
    suspend_flow = consumer.suspend_flow
    while not route.ready():
        if suspend_flow.is_set() or not consumer.flow_active:
            return False
        await asyncio.sleep(NOT_READY_POLL_S)
    return True


def chunks(records: Sequence[T], size: int) -> list[Sequence[T]]:
    """`records` in order, in slices of at most `size`."""
    return [records[i : i + size] for i in range(0, len(records), size)]


def last_inbound(app: Any) -> float:
    """When (`time.monotonic`) any of `app`'s streams or batch routes last received a
    record; 0.0 if none has yet. Read from Faust's monitor, which both paths stamp."""
    inbound: dict[Any, float] = app.monitor.stream_inbound_time
    return max(inbound.values(), default=0.0)
