"""The native reader's bookkeeping: every seek of a routed partition moves the reader (a
paused one only once resumed), the drain's rewind leaves the reader's partitions alone, and
batches of an older epoch are never current."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

from confluent_kafka import OFFSET_BEGINNING
from faust.types import TP

from streams.faust_ext.batch_path import BatchRoute, route_batches
from streams.faust_ext.native_fetch import NATIVE_FETCH_ATTR, NativeFetchMixin
from streams.faust_ext.native_reader import UNASSIGN, NativeReader

PAYMENTS = TP("payments.a", 0)
CHANGELOG = TP("app-velocity.payer-changelog", 0)


class FakeReader:
    """Records what the reader was asked to do."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[str, int], int | None]] = []

    def seek(self, topic: str, partition: int, offset: int) -> None:
        self.calls.append(("seek", (topic, partition), offset))

    def unassign(self, topic: str, partition: int) -> None:
        self.calls.append(("unassign", (topic, partition), None))


class Base:
    """What Faust's consumer does under the mixin, reduced to what it records."""

    def __init__(self) -> None:
        self.aiokafka_seeks: list[tuple[Any, int]] = []
        self.paused: set[Any] = set()

    async def _seek(self, partition: Any, offset: int) -> None:
        self.aiokafka_seeks.append((partition, offset))

    async def seek_to_committed(self) -> dict[Any, int]:
        return {PAYMENTS: 7, CHANGELOG: 3}

    def pause_partitions(self, tps: Any) -> None:
        self.paused.update(tps)

    def resume_partitions(self, tps: Any) -> None:
        self.paused.difference_update(tps)


class Consumer(NativeFetchMixin, Base):
    pass


def consumer() -> tuple[Consumer, FakeReader]:
    async def handler(topic: str, partition: int, records: Any) -> None:
        return None

    app = SimpleNamespace(conf=SimpleNamespace(consumer_auto_offset_reset="earliest"))
    setattr(app, NATIVE_FETCH_ATTR, {"bootstrap.servers": "unused"})
    route_batches(app, BatchRoute(topics=lambda: ["payments.a"], handler=handler, ready=bool))
    c = Consumer()
    c.app = app  # type: ignore[attr-defined]
    reader = FakeReader()
    c.native_reader = reader  # type: ignore[assignment]
    c.native_next, c.native_held = {}, set()
    return c, reader


def test_seeks_of_routed_partitions_move_the_reader_and_others_aiokafka() -> None:
    c, reader = consumer()
    asyncio.run(c._seek(PAYMENTS, 5))
    asyncio.run(c._seek(CHANGELOG, 2))
    assert reader.calls == [("seek", ("payments.a", 0), 5)]
    assert c.aiokafka_seeks == [(CHANGELOG, 2)]
    committed = asyncio.run(c.seek_to_committed())
    assert committed == {PAYMENTS: 7, CHANGELOG: 3}
    assert reader.calls[-1] == ("seek", ("payments.a", 0), 7)


def test_a_partition_without_a_committed_offset_is_read_from_the_beginning() -> None:
    c, reader = consumer()
    c.native_seek(PAYMENTS, None)
    assert reader.calls == [("seek", ("payments.a", 0), OFFSET_BEGINNING)]


def test_the_rewind_leaves_the_readers_partitions_where_they_are() -> None:
    c, reader = consumer()
    assert asyncio.run(c.seek_fetched_to_committed()) == {CHANGELOG: 3}
    assert reader.calls == []


def test_a_paused_partition_is_taken_away_and_given_back_where_reading_stopped() -> None:
    c, reader = consumer()
    c.native_seek(PAYMENTS, 5)
    c.native_next[PAYMENTS] = 9  # delivered up to 8
    c.pause_partitions([PAYMENTS, CHANGELOG])
    assert reader.calls[-1] == ("unassign", ("payments.a", 0), None)
    c.native_seek(PAYMENTS, 6)  # a seek while paused waits for the resume
    assert reader.calls[-1][0] == "unassign"
    c.resume_partitions([PAYMENTS, CHANGELOG])
    assert reader.calls[-1] == ("seek", ("payments.a", 0), 6)
    assert c.paused == set()


def test_batches_of_an_older_epoch_are_not_current() -> None:
    reader = NativeReader.__new__(NativeReader)
    reader._epochs = {}
    reader._changes = {}
    reader._lock = threading.Lock()
    reader._wake = threading.Event()
    reader.seek("payments.a", 0, 5)
    assert reader.current(("payments.a", 0), 1)
    reader.unassign("payments.a", 0)
    assert not reader.current(("payments.a", 0), 1)
    assert reader._changes == {("payments.a", 0): (2, UNASSIGN)}
