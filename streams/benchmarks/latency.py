"""`screening bench`'s latency phase: payments offered at a paced rate to running workers,
each payment's decision latency, and which two instants it spans (see `stamps`)."""

from __future__ import annotations

import time
from typing import Any

import orjson
from confluent_kafka import Producer

from streams.benchmarks.bench_config import BenchConfig
from streams.benchmarks.stamps import (
    Stamp,
    latencies,
    latency_span,
    quantiles,
    record_latencies,
    type_names,
    wall_ms,
)
from streams.benchmarks.tail import Tail
from streams.kafka import topics
from streams.offline import synthetic
from streams.settings import Settings

# How long the phase waits for the last decisions once every payment was offered.
DRAIN_S = 120.0


def paced_latency(
    settings: Settings,
    config: BenchConfig,
    rate: float | None = None,
    count: int | None = None,
    tag: str = "",
) -> dict[str, Any]:
    """Offer `rate` payments/s (default `offered_rate`), `count` of them (default for
    `latency_seconds`), to `config`'s members while reading the decisions as they arrive;
    the latency quantiles (ms), how many were offered and decided, the two instants the
    latency spans and the timestamp types read at each end. `tag` keeps the transaction
    ids of one phase apart from another's on the same members."""
    rate = config.offered_rate if rate is None else rate
    if count is None:
        count = int(rate * config.latency_seconds)
    handed: dict[bytes, float] = {}
    sent: dict[bytes, Stamp] = {}
    received: dict[bytes, Stamp] = {}

    def delivered(err: Any, msg: Any) -> None:
        if err is None:
            kind, record_ms = msg.timestamp()
            sent[msg.key()] = Stamp(kind, record_ms, handed[msg.key()])

    out = Producer({**settings.kafka_client_config(), "linger.ms": 0})
    with Tail(settings, [topics.decisions_topic(m) for m in config.members]) as tail:

        def take(timeout_s: float) -> None:
            for arrival in tail.poll(timeout_s):
                if arrival.key in handed and arrival.key not in received:
                    received[arrival.key] = arrival.stamp

        started = time.perf_counter()
        payments = synthetic.payments(config.members, count, (), 0.0, seed=99)
        for i, payment in enumerate(payments):
            payment["txn_id"] = f"lat-{tag}{i}"
            key = payment["txn_id"].encode()
            handed[key] = wall_ms()
            out.produce(
                topics.payments_topic(payment["member_id"]),
                orjson.dumps(payment),
                key,
                on_delivery=delivered,
            )
            out.poll(0)
            take(0.0)
            while (ahead := (i + 1) / rate - (time.perf_counter() - started)) > 0:
                take(ahead)
        out.flush(30)
        deadline = time.monotonic() + DRAIN_S
        while len(received) < count and time.monotonic() < deadline:
            take(0.2)
    figures, broker = latencies(sent, received)
    return {
        "offered_eps": rate,
        "offered": count,
        "decided": len(figures),
        **quantiles(figures),
        "spans": latency_span(
            "payment", "payments.<member>", "its decision", "decisions.<member>", broker
        ),
        "record_timestamps_ms": {
            **quantiles(record_latencies(sent, received)),
            "spans": {
                "from": f"the payment's record timestamp ({type_names(sent.values())})",
                "to": f"its decision's record timestamp ({type_names(received.values())})",
            },
        },
        "timestamp_types": {
            "payments": type_names(sent.values()),
            "decisions": type_names(received.values()),
        },
    }
