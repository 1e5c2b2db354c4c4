"""`screening bench`'s figures per worker count, the ratios between them and the Quix
Streams fields of `--json`; and the terminal table they make."""

from __future__ import annotations

import math
from typing import Any

from streams.benchmarks.bench_summary import (
    load_figures,
    quix_fields,
    ratio,
    scale_figures,
)
from streams.benchmarks.quix_compare import unavailable
from streams.benchmarks.scale_phases import CountRun
from streams.benchmarks.scale_table import latency_cell, quix_rows, scale_lines
from streams.benchmarks.stamps import Stamp


def load(name: str, fraction: float | None, rate: float, decided: int = 100) -> dict[str, Any]:
    """A load as `offered_loads` returns it (what `paced_latency` measured, named)."""
    return {
        "load": name,
        "fraction": fraction,
        "offered_eps": rate,
        "offered": 100,
        "decided": decided,
        "p50": 2.0,
        "p95": 9.0,
        "p99": 30.0,
        "spans": {"from": "a", "to": "b"},
    }


def count_run(workers: int, eps: float, cpu_ms: float) -> CountRun:
    stamps = {f"k{i}".encode(): Stamp(1, i, 0.0) for i in range(1000)}
    run = CountRun(workers, 1000, stamps, eps, cpu_ms, peak_memory_mb=400.0)
    run.loads = [
        load("2,000/s", None, 2000.0),
        load("50% of saturation", 0.5, eps / 2, decided=90),
        {"load": "80% of saturation", "fraction": 0.8, "skipped": "not measured"},
    ]
    return run


def test_a_ratio_needs_both_figures_measured() -> None:
    assert ratio(3.0, 2.0) == 1.5
    for numerator, denominator in ((None, 2.0), (3.0, None), (3.0, 0.0), (math.inf, 2.0)):
        assert ratio(numerator, denominator) is None


def test_each_worker_count_carries_its_ratios_to_the_same_runs_references() -> None:
    scale = scale_figures(
        [count_run(1, 4000.0, 0.2), count_run(2, 6000.0, 0.24)], 2000.0, 200_000.0, 20_000.0
    )
    one, two = scale
    assert [c["workers"] for c in scale] == [1, 2]
    assert one["decided"] == one["events"] == 1000
    assert one["vs_faust"] == 2.0 and two["vs_faust"] == 3.0
    assert two["vs_raw_ceiling"] == 0.03 and two["vs_quix"] == 0.3
    assert one["cpu_vs_one_worker"] == 1.0
    assert math.isclose(two["cpu_vs_one_worker"], 1.2)
    assert [entry["load"] for entry in two["loads"]] == [
        "2,000/s",
        "50% of saturation",
        "80% of saturation",
    ]


def test_a_load_entry_has_its_rate_counts_and_quantiles_or_why_it_was_skipped() -> None:
    assert load_figures(load("50% of saturation", 0.5, 1500.0)) == {
        "load": "50% of saturation",
        "fraction": 0.5,
        "offered_eps": 1500.0,
        "offered": 100,
        "decided": 100,
        "latency_ms": {"p50": 2.0, "p95": 9.0, "p99": 30.0},
    }
    skipped = {"load": "80% of saturation", "fraction": 0.8, "skipped": "why"}
    assert load_figures(skipped) == skipped


def test_without_quix_its_figures_are_null_with_the_reason() -> None:
    fields = quix_fields(unavailable("no network"), 3000.0, 1000.0)
    assert fields["quix_eps"] is None and fields["quix_cpu_us_per_record"] is None
    assert fields["quix_unavailable_reason"] == "no network"
    assert fields["screening_vs_quix"] is None and fields["quix_vs_faust"] is None
    ran = {"eps": 20_000.0, "cpu_us_per_record": 47.0, "reason": None}
    fields = quix_fields(ran, 3000.0, 1000.0)
    assert fields["screening_vs_quix"] == 0.15 and fields["quix_vs_faust"] == 20.0
    assert fields["quix_unavailable_reason"] is None


def test_the_quix_rows_show_its_figures_or_one_line_saying_why() -> None:
    rows = quix_rows({"quix_eps": None, "quix_unavailable_reason": "pip failed: no network"})
    assert rows == [("Quix Streams passthrough", "n/a", "pip failed: no network")]
    ran = {"quix_eps": 22_000.0, "quix_cpu_us_per_record": 47.2, "screening_vs_quix": 0.25}
    assert [value for _, value, _ in quix_rows(ran)] == ["22,000 /s", "47 us", "0.25 x"]


def test_the_worker_count_table_has_a_column_per_count_and_a_row_per_load() -> None:
    scale = scale_figures(
        [count_run(1, 4000.0, 0.2), count_run(2, 6000.0, 0.24)], 2000.0, 200_000.0, None
    )
    lines = scale_lines(scale)
    assert lines[0].split() == ["1", "worker", "2", "workers", "target"]
    # The columns line up: every row's cells end where the header's do.
    assert len({len(line) - len(line.split("   ")[-1]) for line in lines}) == 1
    row = {line.split("  ")[0]: line for line in lines[1:]}
    assert "1.20 x" in row["CPU / one worker's"] and "<= 1.25 x" in row["CPU / one worker's"]
    assert row["screening / Quix Streams"].count("n/a") == 2
    assert "2,000/s: 2 / 9 / 30 ms" in row["p50/95/99 @ 2,000/s"]
    assert "3,000/s: 2 / 9 / 30 ms (10 undecided)" in row["p50/95/99 @ 50% of saturation"]
    assert row["p50/95/99 @ 80% of saturation"].split()[-2:] == ["skipped", "skipped"]


def test_a_latency_cell_names_the_rate_offered() -> None:
    cell = latency_cell(load_figures(load("2,000/s", None, 2000.0)))
    assert cell == "2,000/s: 2 / 9 / 30 ms"
