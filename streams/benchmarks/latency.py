"""`screening bench`'s latency phase: payments offered at a paced rate to running workers,
each payment's decision latency, and which two instants it spans (see `stamps`)."""

from __future__ import annotations

import threading
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
# The receiving thread's longest wait for a decision before it looks whether to stop.
RECEIVE_WAIT_S = 0.2
# The shortest sleep between sends: at 2,000/s, two payments a tick.
SEND_TICK_S = 0.001


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

    # Made before the clock starts: the load generator shares the machine's cores with the
    # broker and the workers, and every bit of its CPU in the phase is taken from them.
    offered = []
    for i, payment in enumerate(synthetic.payments(config.members, count, (), 0.0, seed=99)):
        payment["txn_id"] = f"lat-{tag}{i}"
        offered.append(
            (
                topics.payments_topic(payment["member_id"]),
                orjson.dumps(payment),
                payment["txn_id"].encode(),
            )
        )
    out = Producer({**settings.kafka_client_config(), "linger.ms": 0})
    with Tail(settings, [topics.decisions_topic(m) for m in config.members]) as tail:
        stop_at = [float("inf")]

        def take() -> None:
            # A thread of its own, blocked in librdkafka until a decision arrives: polling
            # between sends with sub-millisecond timeouts kept most of a core busy.
            while len(received) < count and time.monotonic() < stop_at[0]:
                for arrival in tail.poll(RECEIVE_WAIT_S):
                    if arrival.key in handed and arrival.key not in received:
                        received[arrival.key] = arrival.stamp

        receiver = threading.Thread(target=take, name="bench-latency-tail", daemon=True)
        receiver.start()
        started = time.perf_counter()
        for i, (topic, value, key) in enumerate(offered):
            ahead = i / rate - (time.perf_counter() - started)
            if ahead > 0:
                # Whole ticks: each payment's latency runs from its own append, so sending
                # the payments of one tick together changes what is offered, not measured.
                time.sleep(max(ahead, SEND_TICK_S))
            handed[key] = wall_ms()
            out.produce(topic, value, key, on_delivery=delivered)
            out.poll(0)
        out.flush(30)
        stop_at[0] = time.monotonic() + DRAIN_S
        receiver.join()
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
