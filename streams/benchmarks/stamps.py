"""Turning the timestamps a benchmark reads into latency figures, and saying which two
instants each figure spans.

A record's timestamp is the broker's append time only on a topic with
`message.timestamp.type=LogAppendTime` on a broker that honours it; otherwise it is the
producer's CreateTime (a different process's clock, taken when it sent). So a latency is
measured broker to broker only when both ends were read as LogAppendTime; otherwise it
runs from the bench handing the first record to its producer to the bench's consumer
receiving the second, both on the bench's own clock."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from confluent_kafka import (
    TIMESTAMP_CREATE_TIME,
    TIMESTAMP_LOG_APPEND_TIME,
    TIMESTAMP_NOT_AVAILABLE,
)

from streams.benchmarks.measure import percentile

TYPE_NAMES = {
    TIMESTAMP_LOG_APPEND_TIME: "LogAppendTime",
    TIMESTAMP_CREATE_TIME: "CreateTime",
    TIMESTAMP_NOT_AVAILABLE: "no timestamp",
}
# The topic configuration that makes a record's timestamp the broker's append time.
LOG_APPEND_TIME = {"message.timestamp.type": "LogAppendTime"}


def wall_ms() -> float:
    """The bench's wall clock in milliseconds (what record timestamps are compared with)."""
    return time.time() * 1000.0


@dataclass(frozen=True, slots=True)
class Stamp:
    """One record as the bench saw it: its timestamp type and value (as the producer's
    delivery report or the consumer returned them), and the bench's wall clock (ms) when
    it handed the record to its producer or received it."""

    kind: int
    record_ms: int
    wall_ms: float


def on_broker_clock(stamps: Iterable[Stamp]) -> bool:
    """Whether every one of the (non-empty) stamps is a broker append time."""
    kinds = {s.kind for s in stamps}
    return kinds == {TIMESTAMP_LOG_APPEND_TIME}


def elapsed_ms(start: Stamp, end: Stamp, broker: bool) -> float:
    """Milliseconds from `start` to `end`: between their broker append times when `broker`,
    else from the bench sending `start` to the bench receiving `end`."""
    if broker:
        return float(end.record_ms - start.record_ms)
    return end.wall_ms - start.wall_ms


def latencies(
    sent: Mapping[bytes, Stamp], received: Mapping[bytes, Stamp]
) -> tuple[list[float], bool]:
    """The latency (ms) of every sent key that was received, and whether they were measured
    on the broker's clock (every stamp of both ends LogAppendTime)."""
    keys = [k for k in sent if k in received]
    broker = bool(keys) and on_broker_clock([sent[k] for k in keys] + [received[k] for k in keys])
    return [elapsed_ms(sent[k], received[k], broker) for k in keys], broker


def record_latencies(sent: Mapping[bytes, Stamp], received: Mapping[bytes, Stamp]) -> list[float]:
    """The second record's timestamp minus the first's, for every key received, whatever
    their types: with CreateTime, from one producer's send to the other's, which is what
    the bench reported as latency before it read the types."""
    return [float(received[k].record_ms - sent[k].record_ms) for k in sent if k in received]


def quantiles(values: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of measured values; -1 each when there are none."""
    if not values:
        return {"p50": -1.0, "p95": -1.0, "p99": -1.0}
    return {
        "p50": statistics.median(values),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
    }


def type_names(stamps: Iterable[Stamp]) -> str:
    """The timestamp types the stamps were read with, e.g. "CreateTime"."""
    return " + ".join(sorted({TYPE_NAMES.get(s.kind, f"type {s.kind}") for s in stamps})) or "none"


def latency_span(
    start: str, start_topic: str, end: str, end_topic: str, broker: bool
) -> dict[str, str]:
    """The two instants of a latency figure from `start` (a record on `start_topic`) to
    `end` (a record on `end_topic`), as measured (`broker` as `latencies` returns it)."""
    if broker:
        return {
            "from": f"{start} appended to {start_topic} (broker LogAppendTime)",
            "to": f"{end} appended to {end_topic} (broker LogAppendTime)",
        }
    return {
        "from": f"{start} handed to the bench's producer for {start_topic} (bench wall clock)",
        "to": f"{end} received by the bench's consumer from {end_topic} (bench wall clock)",
    }


def throughput_span(
    records: str, topic: str, producer: str, stamps: Iterable[Stamp]
) -> dict[str, str]:
    """The two instants of a throughput figure taken from the first and last record
    timestamps of `records` on `topic` (written by `producer`), with the timestamp type
    they were read with."""
    names = type_names(stamps)
    how = (
        "broker LogAppendTime"
        if names == "LogAppendTime"
        else f"{names}: stamped by {producer} as it sent"
    )
    return {
        "from": f"timestamp of the first {records} on {topic} ({how})",
        "to": f"timestamp of the last {records} on {topic} ({how})",
    }
