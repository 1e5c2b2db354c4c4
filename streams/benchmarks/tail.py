"""Reading a benchmark's output topics as records arrive: each record's key, value and
timestamp (type and value), stamped with the bench's wall clock on receipt."""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import TracebackType

from confluent_kafka import OFFSET_BEGINNING, Consumer
from tqdm import tqdm

from streams.benchmarks.stamps import Stamp, wall_ms
from streams.kafka.client import topic_partitions
from streams.settings import Settings

# The longest the broker holds an empty fetch: the most a receipt can lag the record's
# arrival at the broker while the topics are idle (the worker's own default is 5 ms too).
FETCH_WAIT_MS = 5


@dataclass(frozen=True, slots=True)
class Arrival:
    """A record the bench received: key, value and when (see `Stamp`)."""

    topic: str
    key: bytes | None
    value: bytes | None
    stamp: Stamp


class Tail:
    """A consumer assigned every partition of `names` (no group), from their current ends
    or, with `from_start`, from their beginnings. Use as a context manager."""

    def __init__(self, settings: Settings, names: list[str], from_start: bool = False) -> None:
        self.consumer = Consumer(
            {
                **settings.kafka_client_config(),
                "group.id": "bench-tail",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": FETCH_WAIT_MS,
            }
        )
        partitions = topic_partitions(self.consumer, names, OFFSET_BEGINNING)
        for tp in partitions:
            # The end offset resolved now, so nothing produced after this returns is missed.
            tp.offset = (
                OFFSET_BEGINNING
                if from_start
                else self.consumer.get_watermark_offsets(tp, timeout=10)[1]
            )
        self.consumer.assign(partitions)

    def poll(self, timeout_s: float) -> list[Arrival]:
        """The records that arrive within `timeout_s` (returns as soon as some have)."""
        # librdkafka's batch consume waits for its whole batch or the timeout, so the first
        # record is waited for alone (woken by its arrival) and the rest taken at once.
        first = self.consumer.poll(max(0.0, timeout_s))
        if first is None:
            return []
        now = wall_ms()
        batch = [first, *self.consumer.consume(num_messages=10_000, timeout=0)]
        arrivals = []
        for message in batch:
            if message.error() is None:
                kind, record_ms = message.timestamp()
                arrivals.append(
                    Arrival(
                        message.topic() or "",
                        message.key(),
                        message.value(),
                        Stamp(kind, record_ms, now),
                    )
                )
        return arrivals

    def close(self) -> None:
        """Leave the topics."""
        self.consumer.close()

    def __enter__(self) -> Tail:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def collect_stamps(
    settings: Settings, names: list[str], expected: int, timeout_s: float, desc: str
) -> dict[bytes, Stamp]:
    """Key -> stamp of the first record of each key on the topics, read from their
    beginnings until `expected` keys or for at most `timeout_s` seconds."""
    found: dict[bytes, Stamp] = {}
    with (
        Tail(settings, names, from_start=True) as tail,
        tqdm(total=expected, desc=desc, unit=" msg", leave=False) as bar,
    ):
        deadline = time.monotonic() + timeout_s
        while len(found) < expected and time.monotonic() < deadline:
            for arrival in tail.poll(0.2):
                if arrival.key is not None and arrival.key not in found:
                    found[arrival.key] = arrival.stamp
                    bar.update(1)
    return found
