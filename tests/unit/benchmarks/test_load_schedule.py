"""The loads `screening bench` offers each worker count: `--rates` and `--workers` parsed,
shares of saturation resolved against the measured rate, the fixed rate first, and every
extra phase bounded."""

from __future__ import annotations

import math

import pytest

from streams.benchmarks.bench_config import BenchConfig
from streams.benchmarks.load_schedule import (
    Load,
    parse_loads,
    parse_worker_counts,
    phase_size,
    schedule,
)


def test_rates_are_payments_per_second_or_shares_of_saturation() -> None:
    assert parse_loads("50%, 80%,3000") == (
        Load(fraction=0.5),
        Load(fraction=0.8),
        Load(rate=3000.0),
    )
    assert parse_loads("none") == parse_loads("") == ()
    assert parse_loads("50%,50%") == (Load(fraction=0.5),)


@pytest.mark.parametrize("text", ["0%", "150%", "fast", "0.5", "-3", "50%,x"])
def test_a_rate_that_is_not_a_load_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_loads(text)


def test_a_share_resolves_against_the_saturation_measured() -> None:
    half = Load(fraction=0.5)
    assert half.offered_rate(3000.0) == 1500.0
    assert Load(rate=2000.0).offered_rate(None) == 2000.0
    # No saturation rate (none measured, or one backlog record: an unbounded rate).
    for unmeasured in (None, 0.0, math.inf):
        assert half.offered_rate(unmeasured) is None


def test_loads_are_named_as_the_table_shows_them() -> None:
    assert Load(fraction=0.8).label() == "80% of saturation"
    assert Load(rate=2000.0).label() == "2,000/s"


def test_the_fixed_rate_comes_first_and_only_once() -> None:
    extra = parse_loads("2000,50%")
    assert schedule(2000.0, extra) == (Load(rate=2000.0), Load(fraction=0.5))
    assert schedule(200.0, ()) == (Load(rate=200.0),)


def test_a_phase_offers_rate_times_seconds_bounded_by_the_cap() -> None:
    assert phase_size(2000.0, 15.0, None) == 30_000
    assert phase_size(3000.0, 15.0, 20_000) == 20_000
    assert phase_size(0.01, 1.0, 10) == 1


def test_one_worker_is_always_measured_and_counts_ascend() -> None:
    assert parse_worker_counts("2") == (1, 2)
    assert parse_worker_counts("2,1") == (1, 2)
    assert parse_worker_counts("1") == (1,)
    for bad in ("0", "17", "", "two"):
        with pytest.raises(ValueError):
            parse_worker_counts(bad)


def test_the_headline_worker_count_is_the_largest() -> None:
    assert BenchConfig(workers=2, worker_counts=(1, 2)).counts() == (1, 2)
    assert BenchConfig(workers=3).counts() == (1, 3)
    assert BenchConfig(workers=1).counts() == (1,)
