"""The drain's signal that Faust threw delivered records away (flow control empties every
queue it manages when it resumes, and the drain's sentinel must hear of each emptying),
and the rewind that makes those records be fetched again."""

from __future__ import annotations

import asyncio
import gc
import logging
from types import SimpleNamespace

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from mode.utils.queues import FlowControlEvent, FlowControlQueue, ThrowableQueue

from streams.faust_ext.fast_consumer import BatchDrainMixin, QueuesEmptied


def test_resuming_flow_control_empties_agent_queues_and_tells_the_drain() -> None:
    async def scenario() -> tuple[int, bool]:
        flow_control = FlowControlEvent()
        agent_queue: FlowControlQueue[str] = FlowControlQueue(
            flow_control=flow_control, clear_on_resume=True
        )
        emptied = QueuesEmptied()
        flow_control.manage_queue(emptied)
        flow_control.resume()
        agent_queue.put_nowait("record delivered while the rebalance's seek ran")
        gc.collect()  # flow control holds its queues weakly; the drain holds the sentinel
        flow_control.resume()
        return agent_queue.qsize(), emptied.happened

    left, heard = asyncio.run(scenario())
    assert left == 0  # Faust's behaviour the drain depends on: the record is gone
    assert heard


def test_the_sentinel_is_quiet_until_flow_control_resumes() -> None:
    async def scenario() -> bool:
        flow_control = FlowControlEvent()
        emptied = QueuesEmptied()
        flow_control.manage_queue(emptied)
        flow_control.suspend()
        return emptied.happened

    assert asyncio.run(scenario()) is False


def queue_after_resume(track_delivery: bool) -> tuple[int, bool]:
    """A delivery waiting for suspended flow control when flow control resumes (and
    empties the agent queues): how many records the agent queue holds afterwards, and
    whether the delivery was cancelled."""

    async def scenario() -> tuple[int, bool]:
        flow_control = FlowControlEvent()
        agent_queue: ThrowableQueue[str] = ThrowableQueue(
            maxsize=10, flow_control=flow_control, clear_on_resume=True
        )
        emptied = QueuesEmptied()
        flow_control.manage_queue(emptied)
        flow_control.suspend()

        async def deliver() -> None:
            await flow_control.acquire()
            agent_queue.put_nowait("record delivered while flow control was suspended")

        delivery = asyncio.ensure_future(deliver())
        if track_delivery:
            emptied.delivery = delivery
        await asyncio.sleep(0)  # the delivery now waits for flow control
        flow_control.resume()
        await asyncio.wait([delivery])
        return agent_queue.qsize(), delivery.cancelled()

    return asyncio.run(scenario())


def test_a_delivery_waiting_when_the_queues_are_emptied_is_cancelled() -> None:
    assert queue_after_resume(track_delivery=True) == (0, True)


def test_faust_lets_a_waiting_delivery_land_after_the_emptying() -> None:
    # Why the drain tracks its delivery: left alone, the record lands in the emptied
    # queue and the agent processes it ahead of the records the drain fetches again.
    assert queue_after_resume(track_delivery=False) == (1, False)


class RewindingConsumer(BatchDrainMixin):
    """What `rewind` touches of a Faust consumer: committed offsets on the broker, read
    offsets, and the seeks it makes."""

    def __init__(self, committed: dict[TP, int | None]) -> None:
        self.committed = committed
        self.positions: dict[TP, int | str] = {tp: 500 for tp in committed}
        self._read_offset: dict[TP, int | None] = {tp: 499 for tp in committed}
        self._committed_offset: dict[TP, int | None] = {}
        self.app = SimpleNamespace(
            topics=SimpleNamespace(acks_enabled_for=lambda topic: topic.startswith("payments."))
        )
        self.log = logging.getLogger("test")

    async def seek_to_committed(self) -> dict[TP, int | None]:
        for tp, offset in self.committed.items():
            if offset and offset > 0:  # aiokafka seeks only these
                self.positions[tp] = offset
        return dict(self.committed)

    async def earliest_offsets(self, *partitions: TP) -> dict[TP, int]:
        return {tp: 7 for tp in partitions}  # the log starts at 7: older records expired

    async def seek(self, partition: TP, offset: int) -> None:
        self.positions[partition] = offset
        self._read_offset[partition] = offset if offset else None  # as Faust's seek


def test_rewind_seeks_committed_partitions_back_and_uncommitted_ones_to_the_beginning() -> None:
    done, fresh, never = TP("payments.a", 0), TP("payments.a", 1), TP("payments.a", 2)
    changelog = TP("app-velocity.payee-changelog", 0)
    consumer = RewindingConsumer({done: 120, fresh: None, never: 0, changelog: None})
    asyncio.run(consumer.rewind())
    assert consumer.positions == {
        done: 120,
        fresh: 7,  # fetched and thrown away before any commit: read again from the start
        never: 7,
        changelog: 500,  # table recovery owns changelog positions
    }
    assert consumer._read_offset == {done: 120, fresh: 7, never: 7, changelog: None}
    assert consumer._committed_offset == {done: 120, never: None}


def test_the_rewind_uses_only_what_fausts_consumer_has() -> None:
    # The fake above stands in for these; a rename in Faust must fail here, not in a worker.
    for name in ("seek_to_committed", "earliest_offsets", "seek"):
        assert callable(getattr(faust_aiokafka.Consumer, name, None)), name


def test_a_rewind_keeps_the_changelog_records_it_cannot_fetch_again() -> None:
    from faust.types import TP

    from streams.faust_ext.fast_consumer import not_rewound

    payments, changelog = TP("payments.a", 0), TP("app-velocity.payee-changelog", 1)
    records = {payments: ["p1", "p2"], changelog: ["c1"]}
    kept = not_rewound(records, lambda topic: not topic.endswith("-changelog"))
    assert kept == {changelog: ["c1"]}
    assert not_rewound({payments: ["p1"]}, lambda topic: True) == {}
