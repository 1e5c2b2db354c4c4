"""The batch path's bookkeeping: acks recorded as Faust's ack records them, routes found by
topic (a topic added later included), batches cut in order."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from faust.types import TP

from streams.faust_ext.batch_path import BatchRoute, chunks, mark_acked, route_batches, route_for

TOPIC_PARTITION = TP("payments.a", 0)


def consumer(committed: int | None) -> Any:
    return SimpleNamespace(
        _committed_offset=defaultdict(lambda: committed),
        _acked=defaultdict(list),
        _acked_index=defaultdict(set),
        _n_acked=0,
        app=SimpleNamespace(monitor=SimpleNamespace(stream_inbound_time={})),
    )


def test_acks_are_recorded_and_counted_once_each() -> None:
    c = consumer(None)
    mark_acked(c, TOPIC_PARTITION, [5, 6, 7])
    mark_acked(c, TOPIC_PARTITION, [7, 8])
    assert c._acked[TOPIC_PARTITION] == [5, 6, 7, 8]
    assert c._acked_index[TOPIC_PARTITION] == {5, 6, 7, 8}
    assert c._n_acked == 4
    assert TOPIC_PARTITION in c.app.monitor.stream_inbound_time


def test_offsets_below_the_committed_one_are_not_acked_again() -> None:
    c = consumer(10)
    mark_acked(c, TOPIC_PARTITION, [8, 9, 10, 11])
    assert c._acked[TOPIC_PARTITION] == [10, 11]
    assert c._n_acked == 2


def test_routes_are_found_by_topic_including_topics_added_later() -> None:
    app = SimpleNamespace()
    names = ["payments.a"]

    async def handler(topic: str, partition: int, records: Any) -> None:
        return None

    route = BatchRoute(topics=lambda: names, handler=handler, ready=lambda: True)
    route_batches(app, route)
    assert route_for(app, "payments.a") is route
    assert route_for(app, "payments.b") is None
    names.append("payments.b")
    assert route_for(app, "payments.b") is route
    assert route_for(SimpleNamespace(), "payments.a") is None


def test_chunks_keep_order_and_size() -> None:
    assert chunks(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert chunks([], 3) == []
