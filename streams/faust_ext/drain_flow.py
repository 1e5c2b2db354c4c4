"""What Faust's flow control does to the drain's deliveries: queues it empties when the flow
resumes (`QueuesEmptied`), records a rewind does not fetch again (`not_rewound`), and the
wait for room in a full agent queue (`wait_for_room`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

# How often a drain held back by a full agent queue looks whether it has room again.
ROOM_POLL_S = 0.001


async def wait_for_room(queues: list[Any]) -> None:
    """Return once every queue is at or below its pressure-drop size."""
    while any(queue.qsize() > _low_water(queue) for queue in queues):
        await asyncio.sleep(ROOM_POLL_S)


def _low_water(queue: Any) -> int:
    return int(getattr(queue, "pressure_drop_size", queue.maxsize // 2))


class QueuesEmptied:
    """Registered with Faust's flow control as if it were an agent queue: flow control
    calls `clear()` on every queue it manages when it resumes, which is how the drain
    learns that records it delivered were thrown away.

    A delivery in progress at that moment (waiting for flow control to resume, or for
    room in a queue) would complete just after the emptying, and its record would be the
    only one left in the queue: the agent would process it before the records before it,
    which the drain fetches again. For a velocity stage that is a payment decided on a
    window missing its predecessors. So the emptying also cancels `delivery`, the
    drain's delivery in progress, before it can put its record."""

    def __init__(self) -> None:
        self.happened = False
        self.delivery: asyncio.Future[Any] | None = None

    def clear(self) -> None:
        self.happened = True
        if self.delivery is not None:
            self.delivery.cancel()


def not_rewound(records: Mapping[Any, list[Any]], acks_enabled_for: Any) -> dict[Any, list[Any]]:
    """The part of a fetched batch that a rewind does not fetch again: the records of
    topics without acks (changelogs). They have no committed offset to go back to; table
    recovery seeks them itself, to the offsets it needs, just before flow control empties
    the queues, so the batch fetched then holds the very records recovery waits for.
    Dropped, they were gone for good and recovery waited for them forever (a worker of
    two stalled in five of six two-worker bench runs on Apache Kafka)."""
    return {tp: batch for tp, batch in records.items() if not acks_enabled_for(tp.topic)}


async def crash_unless_stopping(consumer: Any, what: str, exc: Exception) -> None:
    """Crash Faust's `consumer` with `exc`, raised by `what`, as an error in its drain would,
    unless the app is stopping (then the error is the stop's)."""
    if consumer.transport.app.should_stop:
        return
    consumer.log.exception("%s raised: %r", what, exc)
    await consumer.crash(exc)
