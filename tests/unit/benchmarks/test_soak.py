"""The soak benchmark's figures: memory growth after the warm-up, its slope, the count of
payments decided once, more than once and not at all, the largest lag sampled, and the
latency of the sampled payments after the warm-up."""

from __future__ import annotations

from collections import Counter

import pytest
from confluent_kafka import TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME

from streams.benchmarks.soak import (
    Progressing,
    decision_counts,
    lag_figures,
    latency_figures,
    memory_figures,
    slope_per_minute,
)
from streams.benchmarks.stamps import Stamp


def test_slope_of_steady_growth_is_its_rate_per_minute() -> None:
    samples = [(t, 400.0 + 0.5 * t) for t in range(0, 600, 10)]  # 0.5 MiB/s
    assert slope_per_minute(samples) == pytest.approx(30.0)


def test_flat_memory_has_no_slope() -> None:
    assert slope_per_minute([(t, 512.0) for t in range(0, 600, 10)]) == 0.0


def test_slope_needs_two_samples_at_different_times() -> None:
    assert slope_per_minute([]) == 0.0
    assert slope_per_minute([(5.0, 100.0)]) == 0.0
    assert slope_per_minute([(5.0, 100.0), (5.0, 200.0)]) == 0.0


def test_growth_is_measured_from_the_end_of_the_warm_up() -> None:
    # Caches fill in the first 120 s (300 -> 450 MiB), then memory stays flat.
    samples = [(float(t), min(450.0, 300.0 + 1.25 * t)) for t in range(0, 610, 10)]
    figures = memory_figures(samples, warmup_s=120.0)
    assert figures["rss_after_warmup_mb"] == 450.0
    assert figures["rss_end_mb"] == 450.0
    assert figures["rss_peak_mb"] == 450.0
    assert figures["growth_after_warmup_mb"] == 0.0
    assert figures["slope_mb_per_min"] == 0.0


def test_a_leak_after_the_warm_up_shows_as_growth_and_slope() -> None:
    samples = [(float(t), 400.0 + 0.1 * t) for t in range(0, 610, 10)]
    figures = memory_figures(samples, warmup_s=120.0)
    assert figures["growth_after_warmup_mb"] == pytest.approx(48.0)
    assert figures["slope_mb_per_min"] == pytest.approx(6.0)


def test_a_run_shorter_than_the_warm_up_reports_its_last_sample() -> None:
    figures = memory_figures([(0.0, 100.0), (10.0, 120.0)], warmup_s=60.0)
    assert figures["rss_after_warmup_mb"] == figures["rss_end_mb"] == 120.0
    assert figures["growth_after_warmup_mb"] == 0.0


def test_every_offered_payment_is_counted_once_twice_or_missing() -> None:
    offered = [b"t1", b"t2", b"t3", b"t4"]
    decided = Counter({b"t1": 1, b"t2": 2, b"t4": 1, b"other": 1})
    assert decision_counts(offered, decided) == {
        "decided_once": 2,
        "decided_more_than_once": 1,
        "undecided": 1,
    }


def test_lag_is_its_largest_sample_over_the_run_and_after_the_warm_up() -> None:
    # The worker starts with a backlog (the payments offered while it replays the
    # watchlist), then keeps up; its metrics page does not answer at first.
    lags = [(0.0, None, 10), (10.0, 900.0, 1200), (130.0, 30.0, 40), (140.0, 12.0, 25)]
    figures = lag_figures(lags, warmup_s=120.0)
    assert figures["max_consumer_lag"] == 900.0
    assert figures["max_consumer_lag_after_warmup"] == 30.0
    assert figures["max_undecided_backlog"] == 1200
    assert figures["max_undecided_backlog_after_warmup"] == 40
    assert figures["lag_samples"][0] == [0.0, None, 10]


def test_lag_never_sampled_reads_as_minus_one() -> None:
    figures = lag_figures([(0.0, None, 0)], warmup_s=120.0)
    assert figures["max_consumer_lag"] == figures["max_consumer_lag_after_warmup"] == -1.0


def stamped(kind: int, offset_ms: float, sent_at: float, latency: float) -> tuple[Stamp, Stamp]:
    """A payment sent at `sent_at` and decided `latency` ms later, by both clocks (the
    broker's running `offset_ms` ahead of the bench's)."""
    sent = Stamp(kind, int(sent_at + offset_ms), sent_at)
    return sent, Stamp(kind, int(sent_at + offset_ms + latency), sent_at + latency + 1)


def test_latency_after_the_warm_up_leaves_out_payments_met_while_starting() -> None:
    seen = Progressing(started_ms=1_000_000.0)
    for i, (at, latency) in enumerate([(0.0, 3000.0), (1_000.0, 2000.0), (200_000.0, 8.0)]):
        key = f"t{i}".encode()
        seen.sent[key], seen.received[key] = stamped(
            TIMESTAMP_LOG_APPEND_TIME, 5.0, seen.started_ms + at, latency
        )
    figures = latency_figures(seen, warmup_s=120.0)
    assert figures["latency_ms"]["p50"] == figures["latency_ms"]["p99"] == 8.0
    assert figures["latency_all_ms"]["p99"] == 3000.0
    assert figures["latency_sampled"] == 3
    assert "broker LogAppendTime" in figures["latency_spans"]["from"]
    assert figures["timestamp_types"] == {
        "payments": "LogAppendTime",
        "decisions": "LogAppendTime",
    }


def test_latency_on_create_time_runs_on_the_bench_clock() -> None:
    seen = Progressing(started_ms=0.0)
    seen.sent[b"t"], seen.received[b"t"] = stamped(TIMESTAMP_CREATE_TIME, 0.0, 500_000.0, 8.0)
    figures = latency_figures(seen, warmup_s=120.0)
    assert figures["latency_ms"]["p50"] == 9.0  # received one ms after the decision's stamp
    assert "bench's consumer" in figures["latency_spans"]["to"]


def test_a_sample_of_a_few_pages_is_not_rounded_to_nothing() -> None:
    # The first sample is taken as the worker starts: a freshly started process can hold
    # a few dozen KiB; a sample of 0 means the process was gone.
    figures = memory_figures([(0.0, 40 / 1024), (10.0, 140.0)], warmup_s=5.0)
    assert figures["samples"] == [[0.0, 0.039], [10.0, 140.0]]
