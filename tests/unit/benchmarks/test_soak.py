"""The soak benchmark's figures: memory growth after the warm-up, its slope, and the
count of payments decided once, more than once and not at all."""

from __future__ import annotations

from collections import Counter

import pytest

from streams.benchmarks.soak import decision_counts, memory_figures, slope_per_minute


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
