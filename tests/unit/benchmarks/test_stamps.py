"""Turning the timestamps a benchmark reads into latency figures: broker to broker only
when both ends were read as LogAppendTime, else on the bench's clock from sending to
receiving, and the spans each figure states."""

from __future__ import annotations

import pytest
from confluent_kafka import TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME

from streams.benchmarks.stamps import (
    Stamp,
    elapsed_ms,
    latencies,
    latency_span,
    on_broker_clock,
    quantiles,
    record_latencies,
    throughput_span,
    type_names,
)

APPEND, CREATE = TIMESTAMP_LOG_APPEND_TIME, TIMESTAMP_CREATE_TIME


def test_broker_time_is_used_only_when_both_ends_were_appended_by_the_broker() -> None:
    sent, received = Stamp(APPEND, 1_000, 5_000.0), Stamp(APPEND, 1_012, 5_030.0)
    assert on_broker_clock([sent, received])
    assert elapsed_ms(sent, received, broker=True) == 12.0
    assert elapsed_ms(sent, received, broker=False) == 30.0


def test_a_create_time_anywhere_means_the_bench_clock() -> None:
    assert not on_broker_clock([Stamp(APPEND, 1, 1.0), Stamp(CREATE, 2, 2.0)])
    assert not on_broker_clock([])


def test_latencies_pair_sent_and_received_keys_on_one_clock() -> None:
    # Tansu: the topics ask for LogAppendTime but records read back as CreateTime, and a
    # producer-set CreateTime (here from 2001) says nothing about when the bench sent.
    sent = {b"a": Stamp(CREATE, 1_000_000_000_000, 100.0), b"b": Stamp(CREATE, 7, 200.0)}
    received = {b"a": Stamp(CREATE, 1_000_000_000_005, 104.5), b"c": Stamp(CREATE, 9, 900.0)}
    assert latencies(sent, received) == ([4.5], False)
    assert record_latencies(sent, received) == [5.0]


def test_latencies_on_a_broker_that_appends() -> None:
    sent = {b"a": Stamp(APPEND, 1_000, 0.0), b"b": Stamp(APPEND, 1_001, 0.0)}
    received = {b"a": Stamp(APPEND, 1_003, 50.0), b"b": Stamp(APPEND, 1_010, 60.0)}
    assert latencies(sent, received) == ([3.0, 9.0], True)


def test_quantiles_and_no_values() -> None:
    figures = quantiles([float(v) for v in range(1, 101)])
    assert figures == {"p50": pytest.approx(50.5), "p95": 96.0, "p99": 100.0}
    assert quantiles([]) == {"p50": -1.0, "p95": -1.0, "p99": -1.0}


def test_spans_name_both_instants_and_the_clock() -> None:
    on_broker = latency_span("payment", "payments.a", "its decision", "decisions.a", True)
    assert on_broker == {
        "from": "payment appended to payments.a (broker LogAppendTime)",
        "to": "its decision appended to decisions.a (broker LogAppendTime)",
    }
    on_bench = latency_span("payment", "payments.a", "its decision", "decisions.a", False)
    assert "handed to the bench's producer" in on_bench["from"]
    assert "received by the bench's consumer" in on_bench["to"]


def test_throughput_span_says_the_timestamp_type_read() -> None:
    created = throughput_span("decision", "decisions.a", "the worker", [Stamp(CREATE, 1, 1.0)])
    assert created["from"].startswith("timestamp of the first decision on decisions.a")
    assert "CreateTime: stamped by the worker" in created["to"]
    appended = throughput_span("decision", "decisions.a", "the worker", [Stamp(APPEND, 1, 1.0)])
    assert "(broker LogAppendTime)" in appended["from"]
    assert type_names([Stamp(APPEND, 1, 1.0), Stamp(CREATE, 1, 1.0)]) == (
        "CreateTime + LogAppendTime"
    )
