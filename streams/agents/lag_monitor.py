"""Consumer lag, assigned partitions and rebalances of the worker's consumer group.

A Faust timer asks the broker for the end offsets of the payments partitions assigned
to this worker every few seconds and subtracts the group's committed offsets (what
`kafka-consumer-groups --describe` calls lag). Each worker reports only its own
partitions, so summing over workers gives the group's lag without double counting.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import faust

from streams.faust_ext.consumer_offsets import committed_offsets
from streams.kafka import topics
from streams.ops import metrics

log = logging.getLogger(__name__)

LAG_INTERVAL_S = 5.0

TopicFilter = Callable[[str], bool]


def is_payments_topic(name: str) -> bool:
    """True for `payments.<member>` topics (Faust's own topics are not reported)."""
    return topics.member_of(name) is not None


def compute_lag(
    assigned: Iterable[Any],
    ends: Mapping[Any, int],
    committed: Mapping[Any, int | None],
    earliest: Mapping[Any, int],
) -> dict[tuple[str, int], int]:
    """Consumes partitions (topic, partition tuples), their end offsets, the group's
    committed offsets and the earliest offsets; produces the lag of each partition whose
    end is known. With nothing committed yet the group starts from the earliest offset
    (auto.offset.reset=earliest), so everything from there on is lag."""
    lag: dict[tuple[str, int], int] = {}
    for tp in assigned:
        end = ends.get(tp)
        if end is None:
            continue
        start = committed.get(tp)
        if start is None:
            start = earliest.get(tp, 0)
        lag[(tp[0], tp[1])] = max(0, end - start)
    return lag


class LagMonitor:
    """Keeps screening_consumer_lag_messages in step with the consumer's assignment."""

    def __init__(self, app: faust.App, wanted: TopicFilter = is_payments_topic) -> None:
        self.app = app
        self.wanted = wanted
        self._lag: dict[tuple[str, int], int] = {}
        self._last_error = ""

    async def measure(self) -> dict[tuple[str, int], int]:
        """One measurement: broker end offsets against committed offsets; updates the
        gauges and returns the lag by (topic, partition).

        The offsets requests run on the consumer's thread, whose call queue Faust's commits
        share; they are awaited to the end (the client's request timeout bounds them) and
        the timer never overlaps itself, so a slow broker holds at most one queue slot."""
        consumer = self.app.consumer
        assigned = [tp for tp in consumer.assignment() if self.wanted(tp.topic)]
        if not assigned:
            self.publish({})
            return {}
        ends = await consumer.highwaters(*assigned)
        known = committed_offsets(consumer)
        committed = {tp: known.get(tp) for tp in assigned}
        missing = [tp for tp, offset in committed.items() if offset is None]
        earliest: Mapping[Any, int] = {}
        if missing:
            earliest = await consumer.earliest_offsets(*missing)
        lag = compute_lag(assigned, ends, committed, earliest)
        self.publish(lag)
        return lag

    def publish(self, lag: Mapping[tuple[str, int], int]) -> None:
        """Set the lag gauges and drop those of partitions no longer assigned here."""
        for (topic, partition), value in lag.items():
            metrics.CONSUMER_LAG.labels(topic, str(partition)).set(value)
        for topic, partition in set(self._lag) - set(lag):
            with contextlib.suppress(KeyError):
                metrics.CONSUMER_LAG.remove(topic, str(partition))
        self._lag = dict(lag)

    async def on_assigned(self, sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        """Receiver of Faust's on_partitions_assigned signal (args: the assigned set): one
        rebalance completed."""
        assigned: Iterable[Any] = args[0] if args else kwargs.get("assigned", ())
        metrics.REBALANCES.inc()
        mine = {(tp.topic, tp.partition) for tp in assigned if self.wanted(tp.topic)}
        metrics.ASSIGNED_PARTITIONS.set(len(mine))
        # Revoked partitions stop being reported at once, not at the next measurement.
        self.publish({tp: value for tp, value in self._lag.items() if tp in mine})

    async def tick(self) -> None:
        """The timer body: measure, and log a failure once per distinct cause."""
        try:
            await self.measure()
            self._last_error = ""
        except Exception as exc:  # a broker hiccup must not stop the timer
            cause = f"{type(exc).__name__}: {exc}"
            if cause != self._last_error:
                log.warning("consumer lag not measured: %s", cause)
                self._last_error = cause


def register_lag_monitor(app: faust.App, interval_s: float = LAG_INTERVAL_S) -> LagMonitor:
    """Register the lag timer and the rebalance counter on `app`; returns the monitor."""
    monitor = LagMonitor(app)
    app.on_partitions_assigned.connect(monitor.on_assigned)

    @app.timer(interval_s, name="screening.consumer_lag")  # type: ignore[untyped-decorator]
    async def measure_consumer_lag() -> None:
        await monitor.tick()

    return monitor
