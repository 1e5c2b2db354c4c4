"""Faust's consumer drain loop without a task per message.

Faust's `Consumer._drain_messages` hands every fetched message to the conductor inside
`Service.wait_first(callback(message), suspend_flow.wait())`: four tasks (the delivery,
the flow-suspend wait, the service's stopped and crashed waits), an `asyncio.wait` and
three cancellations per message, plus an async generator step (`getmany`) with a
highwater lookup and a monitor call per message. On these machines that alone capped a
stock Faust agent at ~3.5k messages/s.

The `wait_first` is there so that a delivery that blocks (flow control suspended for a
rebalance, an agent's queue full, the producer buffer over its limit, the conductor
re-subscribing) can be abandoned when the consumer is told to stop its flow. Most
deliveries cannot block: then this drain awaits the conductor's per-partition handler
directly, which runs to completion without leaving the drain task. Whenever any of
those conditions holds, the message takes Faust's own path, `wait_first` and all, so
rebalances behave exactly as in Faust. Offsets, acks and commits are Faust's: the same
read-offset bookkeeping runs per message, and a message is acked by the stream that
processed it, as before.

One deliberate difference: a gap in a partition's offsets. Faust assumes it is compaction
or transaction markers and counts the missing offsets as acked, so the next commit moves
past them; but records of a partition that was paused or being reassigned when its batch
arrived are dropped without being delivered, and then the gap is payments never decided
(seen here as ~0.4 % of a stream lost across two SIGKILL restarts). This drain seeks back
and fetches the gap again; a gap still there after the refetch is a real one.

And one Faust race closed: when a rebalance ends, Faust resumes the stream partitions,
seeks them to their committed offsets, and only then resumes flow control, which empties
every agent's queue. Records fetched and delivered while that seek ran (partitions whose
seek had already completed) were emptied from the queues but not fetched again: never
decided, never acked, the partition's commits stuck behind them. It stalled about one
rebalance in three on the embedded broker. The drain learns of every emptying and seeks
back to the committed offsets, as Faust does for records fetched while the flow stopped;
a delivery still waiting when the queues are emptied is cancelled, or its record would
be processed ahead of the records before it (see `QueuesEmptied`).

And the commit every `broker_commit_every` acks runs beside the drain instead of inside
it: Faust's drain awaits it, and a commit flushes the producer and waits for the broker
twice, so at 2,000 payments/s every payment fetched in the meantime (a commit every half
second, tens to hundreds of milliseconds each) waited for it. Its guarantee does not
depend on the drain waiting: a commit covers the offsets acked when it starts, whose
records were handed to the producer before, and the flush waits for those."""

from __future__ import annotations

import asyncio
import bisect
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from faust.transport.consumer import CONSUMER_FETCHING

from streams.faust_ext.batch_path import (
    AiokafkaRecord,
    BatchRoute,
    chunks,
    mark_acked,
    route_for,
    wait_until_ready,
)
from streams.faust_ext.drain_flow import (
    QueuesEmptied,
    crash_unless_stopping,
    not_rewound,
    wait_for_room,
)

__all__ = ["BatchDrainMixin", "QueuesEmptied", "not_rewound"]

# Messages delivered back to back before the drain lets the agents run; Faust's drain
# uses the same number.
YIELD_EVERY = 100
# How long a partition whose batch handler raised waits before it is read again.
ROUTE_RETRY_S = 1.0


class BatchDrainMixin:
    """`_drain_messages` for a Faust `Consumer`: one `getmany` batch at a time, each
    message delivered inline when delivery cannot block, through `wait_first`
    otherwise."""

    # The commit `commit_soon` started last, while it runs.
    commit_task: asyncio.Task[None] | None = None

    def native_reads(self, tp: Any) -> bool:
        """Whether `tp` is read by the native reader (`streams.faust_ext.native_fetch`)."""
        return False

    async def seek_fetched_to_committed(self) -> Mapping[Any, int]:
        """Seek the partitions this drain fetches to their committed offsets; those offsets."""
        consumer: Any = self
        committed: Mapping[Any, int] = await consumer.seek_to_committed()
        return committed

    def commit_soon(self) -> None:
        """Start a commit beside the drain (`commit_every` acks were counted), unless the
        one started last is still under way: it covers them, or the next one will."""
        if self.commit_task is None or self.commit_task.done():
            self.commit_task = asyncio.ensure_future(self.commit_now())

    async def commit_now(self) -> None:
        """Commit, as Faust's drain does inline; an error crashes the consumer, as one in
        the drain would (unless the app is stopping)."""
        consumer: Any = self
        try:
            await consumer.commit()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await crash_unless_stopping(consumer, "Commit", exc)

    async def rewind(self) -> None:
        """Seek every assigned partition back to its committed offset, as Faust's
        `perform_seek` does, and the stream partitions that have none to their beginning
        (the app's offset reset is `earliest`): Faust leaves those where they are, past
        any record fetched and thrown away before a first commit. Not the partitions the
        native reader reads: nothing of theirs was thrown away."""
        consumer: Any = self
        acks_enabled_for = consumer.app.topics.acks_enabled_for
        committed = await self.seek_fetched_to_committed()
        consumer._read_offset.update(
            {
                tp: offset if offset is not None and offset >= 0 else None
                for tp, offset in committed.items()
            }
        )
        consumer._committed_offset.update(
            {tp: offset or None for tp, offset in committed.items() if offset is not None}
        )
        fresh = [
            tp for tp, offset in committed.items() if not offset and acks_enabled_for(tp.topic)
        ]
        if fresh:
            # A seek to an offset, not aiokafka's seek_to_beginning: that leaves the
            # position unset until the broker answers, and Faust's livelock detector
            # asserts on an unset position (it crashed a worker).
            earliest = await consumer.earliest_offsets(*fresh)
            for tp in fresh:
                await consumer.seek(tp, earliest.get(tp) or 0)
            consumer.log.info("read again from the beginning: %s", sorted(map(str, fresh)))

    async def deliver_batch(
        self, tp: Any, batch: Sequence[Any], reseeked: dict[Any, int], emptied: QueuesEmptied
    ) -> int | None:
        """Hand a partition's fetched records (`batch_path.FetchedRecord`s) to its route in order,
        then mark them acked; the read-offset and gap bookkeeping of the per-message path
        below, once per batch. Returns the offset of the first record neither delivered nor
        sought back to (the flow stopped, the route not ready), or None."""
        consumer: Any = self
        route = route_for(consumer.app, tp.topic)
        assert route is not None
        consumer.app.monitor.track_tp_end_offset(tp, consumer.highwater(tp))
        offsets: list[int] = [record.offset() for record in batch]
        r_offset: int | None = consumer._read_offset[tp]
        if r_offset is not None and offsets[0] < r_offset:
            start = bisect.bisect_left(offsets, r_offset)
            batch, offsets = batch[start:], offsets[start:]
        if not batch:
            return None
        first = offsets[0]
        if r_offset and first - r_offset > 1:
            missing = r_offset + 1
            if reseeked.get(tp) != missing:
                # As below: fetched but never delivered; fetch it again.
                reseeked[tp] = missing
                await consumer.seek(tp, missing)
                return None
            await consumer._add_gap(tp, missing, first)
        if not await wait_until_ready(route, consumer):
            return first
        size = route.max_batch
        for chunk, chunk_offsets in zip(chunks(batch, size), chunks(offsets, size), strict=True):
            if not consumer.flow_active or emptied.happened or consumer.suspend_flow.is_set():
                return chunk_offsets[0]  # fetched again after the rewind
            if not await self.run_route(route, tp, chunk, chunk_offsets[0]):
                return None
            for before, after in itertools.pairwise(chunk_offsets):
                if after - before > 1:  # compaction or transaction markers
                    await consumer._add_gap(tp, before + 1, after)
            mark_acked(consumer, tp, chunk_offsets)
            consumer._read_offset[tp] = chunk_offsets[-1]
            commit_every = consumer._commit_every
            if commit_every is not None and consumer._n_acked >= commit_every:
                consumer._n_acked = 0
                self.commit_soon()
        return None

    async def run_route(self, route: BatchRoute, tp: Any, chunk: Sequence[Any], first: int) -> bool:
        """Run the route's handler on `chunk`; False when it raised: the partition is then
        read again from the chunk's first record (offset `first`) after a pause (a bug holds
        payments back, it never drops them)."""
        consumer: Any = self
        try:
            await route.handler(tp.topic, tp.partition, chunk)
        except Exception as exc:
            consumer.log.exception("batch of %s failed, reading it again: %r", tp, exc)
            if route.on_error is not None:
                route.on_error(exc)
            await asyncio.sleep(ROUTE_RETRY_S)
            await consumer.seek(tp, first)
            consumer._read_offset[tp] = first
            return False
        return True

    async def _drain_messages(self, fetcher: Any) -> None:
        consumer: Any = self
        app = consumer.app
        conductor = app.topics
        flow_control = app.flow_control
        producer_buffer = app.producer.buffer
        # ProducerBuffer.size reads the app settings on every call; unthreaded, it is
        # the length of its pending queue.
        buffered = (
            (lambda: producer_buffer.size)
            if app.conf.producer_threaded
            else producer_buffer.pending.qsize
        )
        buffer_limit = producer_buffer.max_messages
        tp_to_handler = conductor._tp_to_callback
        tp_to_channels = conductor._tp_index
        callback_lock = conductor._tp_to_callback_lock
        callback = consumer.callback
        suspend_flow = consumer.suspend_flow
        consumer_should_stop = consumer._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        get_read_offset = consumer._read_offset.__getitem__
        set_read_offset = consumer._read_offset.__setitem__
        set_flag = consumer.diag.set_flag
        unset_flag = consumer.diag.unset_flag
        commit_every = consumer._commit_every
        acks_enabled_for = conductor.acks_enabled_for
        to_message = consumer._to_message
        track_tp_end_offset = app.monitor.track_tp_end_offset
        buffered_partitions = consumer._buffered_partitions
        sleep = asyncio.sleep

        def queues_of(tp: Any) -> list[Any]:
            return [channel.queue for channel in tp_to_channels.get(tp, ())]

        since_yield = 0
        reseeked: dict[Any, int] = {}
        # Held here for the drain's lifetime: flow control keeps only a weak reference.
        emptied = QueuesEmptied()
        flow_control.manage_queue(emptied)

        async def deliver(delivery: Any) -> None:
            """Faust's own delivery (it may wait), abandoned if the consumer stops its
            flow or flow control empties the queues meanwhile."""
            task = emptied.delivery = asyncio.ensure_future(delivery)
            try:
                await consumer.wait_first(task, suspend_flow.wait())
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if not task.cancelled() or (current is not None and current.cancelling()):
                    raise
            finally:
                emptied.delivery = None

        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                set_flag(CONSUMER_FETCHING)
                records, active_partitions = await consumer._wait_next_records(1.0)
                generation_id = app.consumer_generation_id
                # Faust releases the loop here: getmany can return at once in a loop.
                await consumer.sleep(0)
                if records is None or consumer.should_stop:
                    unset_flag(CONSUMER_FETCHING)
                    continue
                if emptied.happened or not consumer.flow_active:
                    # As Faust's getmany: records fetched while the flow stopped are
                    # dropped and the consumer seeks back to its committed offsets. So
                    # are records delivered before flow control emptied the queues.
                    emptied.happened = False
                    try:
                        await self.rewind()
                    except Exception as exc:
                        consumer.log.warning("exception performing seek: %r", exc)
                    records = not_rewound(records, acks_enabled_for)
                    if not (records and consumer.flow_active):
                        unset_flag(CONSUMER_FETCHING)
                        continue
                routed = [tp for tp in records if route_for(app, tp.topic) is not None]
                for tp in routed:
                    batch = records.pop(tp)
                    if self.native_reads(tp):
                        continue  # fetched before aiokafka paused it: the reader has it
                    if not (
                        consumer.flow_active
                        and app.consumer_generation_id == generation_id
                        and not emptied.happened
                    ):
                        break  # fetched again after the rewind or the new assignment
                    if active_partitions is None or tp in active_partitions:
                        adapted = [AiokafkaRecord(record) for record in batch]
                        await self.deliver_batch(tp, adapted, reseeked, emptied)
                        await sleep(0)
                seen_tps: dict[Any, list[Any]] = {}
                refetching: set[Any] = set()
                for tp, record in consumer.scheduler.iterate(records):
                    if not consumer.flow_active:
                        break
                    if app.consumer_generation_id != generation_id:
                        break
                    if emptied.happened and acks_enabled_for(tp.topic):
                        continue  # fetched again after the rewind at the next batch
                    if not (
                        active_partitions is None
                        or tp in active_partitions
                        or tp in buffered_partitions
                    ):
                        continue
                    queues = seen_tps.get(tp)
                    if queues is None:
                        # The batch's highwater is the same for all its records.
                        track_tp_end_offset(tp, consumer.highwater(tp))
                        queues = seen_tps[tp] = queues_of(tp)
                    message = to_message(tp, record)
                    offset = message.offset
                    r_offset = get_read_offset(tp)
                    if r_offset is not None and offset < r_offset:
                        continue
                    if tp in refetching:
                        continue
                    gap = offset - (r_offset or 0)
                    if gap > 1 and r_offset and acks_enabled_for(message.topic):
                        missing = r_offset + 1
                        if reseeked.get(tp) != missing:
                            # The records in between were fetched but never delivered
                            # (a batch of a partition not being consumed at that moment
                            # is dropped). Faust counts them acked and commits past
                            # them: payments lost. Fetch them again instead; only a gap
                            # that is still there after a refetch (transaction markers,
                            # compaction) is a real one.
                            reseeked[tp] = missing
                            refetching.add(tp)
                            await consumer.seek(tp, missing)
                            continue
                        await consumer._add_gap(tp, missing, offset)
                    if commit_every is not None and consumer._n_acked >= commit_every:
                        consumer._n_acked = 0
                        self.commit_soon()
                    if any(queue.full() for queue in queues) and not suspend_flow.is_set():
                        # The agent is behind: wait once until its queue has drained to
                        # Faust's pressure-drop level instead of once per message.
                        await consumer.wait_first(wait_for_room(queues), suspend_flow.wait())
                        if emptied.happened and acks_enabled_for(tp.topic):
                            continue  # the room was made by emptying the queue
                    handler = tp_to_handler.get(tp)
                    if (
                        handler is not None
                        and not suspend_flow.is_set()
                        and flow_control.is_active()
                        and buffered() <= buffer_limit
                        and not callback_lock.locked()
                        and not any(queue.full() for queue in queues)
                    ):
                        # Nothing in the handler can wait: it runs to completion here.
                        await handler(message)
                    else:
                        await deliver(callback(message))
                    set_read_offset(tp, offset)
                    since_yield += 1
                    if since_yield >= YIELD_EVERY:
                        since_yield = 0
                        await sleep(0)
                unset_flag(CONSUMER_FETCHING)
        except consumer.consumer_stopped_errors:
            if consumer.transport.app.should_stop:
                consumer.log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if consumer.transport.app.should_stop:
                consumer.log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            consumer.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            unset_flag(CONSUMER_FETCHING)
