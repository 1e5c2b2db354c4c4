"""The routed partitions read through librdkafka instead of aiokafka's Python fetch path.

Faust keeps everything but the fetching of the routed topics (`streams.faust_ext.batch_path`:
payments and velocity stages): aiokafka stays the group member (assignment, rebalances,
commits), tables, changelogs and recovery stay Faust's, and non-routed topics are fetched
by aiokafka as before. A routed partition assigned to this member is paused in aiokafka as
soon as it is assigned (aiokafka never fetches it) and read by the worker's
`NativeReader` (`streams.faust_ext.native_reader`) instead, whose batches go through the
same `deliver_batch` as aiokafka's did (read offsets, gap refetch, route, acks, commits).

Positions: the reader reads a partition only from an offset Faust gave it. Every seek Faust
or the drain makes of a routed partition (the committed offsets after an assignment, a
rewind, a gap refetch, a failed batch read again) moves the reader, and anything it read
before is never delivered (its epoch is over). A partition Faust pauses (recovery) is taken
from the reader and given back, where reading stopped, when Faust resumes it. A batch not
wholly delivered (the flow stopped for a rebalance, the route not ready) is read again from
its first record not delivered, and nothing is delivered while the flow is stopped.

One seek is not passed on: the drain's rewind after flow control emptied the agents' queues
(`BatchDrainMixin.rewind`). It fetches again the records thrown away with the queues; the
reader's records never wait in one, so nothing of theirs was thrown away, and moving the
reader back to the committed offsets decided its records delivered since the last commit a
second time (a new member's first payment got two decisions)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Set
from typing import Any

from aiokafka.structs import TopicPartition as AioTopicPartition  # type: ignore[import-untyped]
from confluent_kafka import OFFSET_BEGINNING, OFFSET_END
from faust.types import TP

from streams.faust_ext.batch_path import route_for
from streams.faust_ext.drain_flow import QueuesEmptied, crash_unless_stopping
from streams.faust_ext.native_reader import NativeReader, reader_config

NATIVE_FETCH_ATTR = "screening_native_fetch_config"


def use_native_fetch(app: Any, client_config: Mapping[str, Any] | None) -> None:
    """Make `app`'s worker read its routed topics through librdkafka with these connection
    settings; None: through aiokafka, as Faust does."""
    setattr(app, NATIVE_FETCH_ATTR, None if client_config is None else dict(client_config))


def routed_natively(consumer: Any, tp: Any) -> bool:
    """Whether `consumer` (Faust's) reads `tp` through its native reader."""
    return bool(
        getattr(consumer, "native_enabled", False) and route_for(consumer.app, tp.topic) is not None
    )


def pause_in_aiokafka(thread: Any, assigned: Iterable[Any]) -> None:
    """Pause the routed partitions of `assigned` in the aiokafka consumer of Faust's consumer
    `thread` (in its loop, as the assignment arrives): aiokafka never fetches them."""
    routed = [
        AioTopicPartition(tp.topic, tp.partition)
        for tp in assigned
        if routed_natively(thread.consumer, tp)
    ]
    if routed:
        thread._ensure_consumer().pause(*routed)


class NativeFetchMixin:
    """For Faust's consumer: its routed partitions read by a `NativeReader`, every seek,
    pause and revocation of one passed on to it, and its batches delivered by a task of
    their own beside Faust's drain."""

    native_reader: NativeReader | None = None
    # Where reading of each routed partition given to the reader continues, and the routed
    # partitions Faust paused (taken from the reader until resumed).
    native_next: dict[TP, int | None]
    native_held: set[TP]

    @property
    def native_enabled(self) -> bool:
        """Whether the app asked for the native reader (`use_native_fetch`)."""
        consumer: Any = self
        return getattr(consumer.app, NATIVE_FETCH_ATTR, None) is not None

    def native(self) -> NativeReader:
        """The reader, started on first use."""
        if self.native_reader is None:
            consumer: Any = self
            app = consumer.app
            conf = app.conf
            settings = {
                "wait": getattr(app, "screening_fetch_max_wait_ms", 5),
                "bytes": getattr(app, "screening_fetch_min_bytes", 1),
            }
            config = reader_config(
                getattr(app, NATIVE_FETCH_ATTR),
                group_id=f"{conf.id}-native-fetch",
                fetch_wait_ms=int(settings["wait"]),
                fetch_min_bytes=int(settings["bytes"]),
                isolation_level=(
                    "read_committed" if consumer.in_transaction else "read_uncommitted"
                ),
                offset_reset=conf.consumer_auto_offset_reset,
            )
            self.native_next = {}
            self.native_held = set()
            self.native_reader = NativeReader(config, consumer.loop)
        return self.native_reader

    def native_reads(self, tp: Any) -> bool:
        return routed_natively(self, tp)

    def native_seek(self, tp: Any, offset: int | None) -> None:
        """Read `tp` from `offset` (None: where the offset reset says) once Faust lets it."""
        reader = self.native()
        tp = TP(tp.topic, tp.partition)
        self.native_next[tp] = offset
        if tp in self.native_held:
            reader.unassign(tp.topic, tp.partition)  # given back when resumed
        else:
            reader.seek(tp.topic, tp.partition, self.start_offset(offset))

    def start_offset(self, offset: int | None) -> int:
        """Where the reader starts for `offset`: itself, or the app's offset reset for none."""
        if offset is not None and offset >= 0:
            return offset
        consumer: Any = self
        reset = consumer.app.conf.consumer_auto_offset_reset
        return OFFSET_END if reset == "latest" else OFFSET_BEGINNING

    async def _seek(self, partition: Any, offset: int) -> None:
        if self.native_reads(partition):
            self.native_seek(partition, offset)
            return
        await super()._seek(partition, offset)  # type: ignore[misc]

    async def seek_to_committed(self) -> Mapping[Any, int]:
        committed: Mapping[Any, int] = await super().seek_to_committed()  # type: ignore[misc]
        for tp, offset in committed.items():
            if self.native_reads(tp):
                self.native_seek(tp, offset)
        return committed

    async def seek_fetched_to_committed(self) -> Mapping[Any, int]:
        """Seek the partitions aiokafka fetches to their committed offsets, not the reader's:
        the drain's rewind after flow control emptied the agents' queues, which hold none
        of the reader's records (moving it there would decide them again)."""
        committed: Mapping[Any, int] = await super().seek_to_committed()  # type: ignore[misc]
        return {tp: offset for tp, offset in committed.items() if not self.native_reads(tp)}

    def pause_partitions(self, tps: Iterable[Any]) -> None:
        tps = list(tps)
        super().pause_partitions(tps)  # type: ignore[misc]
        for tp in tps:
            if self.native_reads(tp):
                reader = self.native()
                tp = TP(tp.topic, tp.partition)
                if tp not in self.native_held:
                    self.native_held.add(tp)
                    reader.unassign(tp.topic, tp.partition)

    def resume_partitions(self, tps: Iterable[Any]) -> None:
        tps = list(tps)
        super().resume_partitions(tps)  # type: ignore[misc]
        for tp in tps:
            tp = TP(tp.topic, tp.partition)
            if tp in getattr(self, "native_held", ()):
                self.native_held.discard(tp)
                if tp in self.native_next:
                    self.native().seek(
                        tp.topic, tp.partition, self.start_offset(self.native_next[tp])
                    )

    async def on_partitions_revoked(self, revoked: Set[Any]) -> None:
        if self.native_reader is not None:
            for tp in revoked:
                tp = TP(tp.topic, tp.partition)
                self.native_next.pop(tp, None)
                self.native_held.discard(tp)
                if self.native_reads(tp):
                    self.native_reader.unassign(tp.topic, tp.partition)
        await super().on_partitions_revoked(revoked)  # type: ignore[misc]

    def highwater(self, tp: Any) -> int:
        if self.native_reader is not None and self.native_reads(tp):
            return self.native_reader.highwater(tp.topic, tp.partition)
        return int(super().highwater(tp))  # type: ignore[misc]

    async def on_stop(self) -> None:
        await super().on_stop()  # type: ignore[misc]
        if self.native_reader is not None:
            self.native_reader.close()

    async def _drain_messages(self, fetcher: Any) -> None:
        if not self.native_enabled:
            await super()._drain_messages(fetcher)  # type: ignore[misc]
            return
        self.native()
        task = asyncio.ensure_future(self.native_drain())
        try:
            await super()._drain_messages(fetcher)  # type: ignore[misc]
        finally:
            task.cancel()

    async def native_drain(self) -> None:
        """Deliver the reader's batches through `deliver_batch`, in reading order, while
        the flow runs; a batch not wholly delivered is read again from its first record
        not delivered. An error crashes the consumer, as one in Faust's drain would."""
        consumer: Any = self
        reader = self.native()
        reseeked: dict[Any, int] = {}
        # Routed records never wait in an agent queue: nothing of theirs is emptied.
        emptied = QueuesEmptied()
        current = reader.current
        try:
            while True:
                batch = await reader.take()
                for key, epoch, records in batch:
                    if not consumer.flow_active:
                        await consumer.can_resume_flow.wait()
                    if not current(key, epoch):
                        continue  # read before the partition's last seek
                    tp = TP(*key)
                    rest = await consumer.deliver_batch(tp, records, reseeked, emptied)
                    if current(key, epoch):
                        if rest is None:
                            self.native_next[tp] = (records[-1].offset() or 0) + 1
                        else:
                            consumer.log.debug("reading %s again from %s", tp, rest)
                            self.native_seek(tp, rest)
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await crash_unless_stopping(consumer, "native drain", exc)
