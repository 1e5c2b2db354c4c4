"""`screening bench`'s figures per worker count and the ratios between them, as `--json`
writes them: pure arithmetic over what the phases measured."""

from __future__ import annotations

import math
from typing import Any

from streams.benchmarks.scale_phases import CountRun

QUANTILES = ("p50", "p95", "p99")


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, None when either was not measured (None, not finite) or
    the denominator is 0."""
    if numerator is None or denominator is None:
        return None
    if not (math.isfinite(numerator) and math.isfinite(denominator)) or denominator == 0:
        return None
    return numerator / denominator


def load_figures(result: dict[str, Any]) -> dict[str, Any]:
    """One load's entry: its name, share of saturation (None for a fixed rate), the rate
    offered, payments offered and decided, latency quantiles (ms); or why it was skipped."""
    described = {"load": result["load"], "fraction": result["fraction"]}
    if "skipped" in result:
        return {**described, "skipped": result["skipped"]}
    return {
        **described,
        "offered_eps": result["offered_eps"],
        "offered": result["offered"],
        "decided": result["decided"],
        "latency_ms": {q: result[q] for q in QUANTILES},
    }


def count_figures(
    run: CountRun,
    faust_eps: float | None,
    raw_eps: float | None,
    quix_eps: float | None,
    one_worker_cpu_ms: float | None,
) -> dict[str, Any]:
    """One worker count's entry of `scale`: its backlog figures, each ratio to the same
    run's references (stock Faust, the raw client, Quix Streams; CPU per payment to one
    worker's) and its loads."""
    return {
        "workers": run.workers,
        "events": run.events,
        "decided": len(run.stamps),
        "screening_eps": run.screening_eps,
        "cpu_ms_per_payment": run.cpu_ms_per_payment,
        "peak_memory_mb": run.peak_memory_mb,
        "vs_faust": ratio(run.screening_eps, faust_eps),
        "vs_raw_ceiling": ratio(run.screening_eps, raw_eps),
        "vs_quix": ratio(run.screening_eps, quix_eps),
        "cpu_vs_one_worker": ratio(run.cpu_ms_per_payment, one_worker_cpu_ms),
        "loads": [load_figures(result) for result in run.loads],
    }


def scale_figures(
    runs: list[CountRun], faust_eps: float, raw_eps: float, quix_eps: float | None
) -> list[dict[str, Any]]:
    """Every worker count's entry, ascending (the first is one worker, the reference)."""
    one = next((r for r in runs if r.workers == 1), None)
    reference = one.cpu_ms_per_payment if one is not None else None
    return [count_figures(r, faust_eps, raw_eps, quix_eps, reference) for r in runs]


def quix_fields(quix: dict[str, Any], screening_eps: float, faust_eps: float) -> dict[str, Any]:
    """The flat Quix Streams fields of `--json`: its rate and CPU per record (None, with
    `quix_unavailable_reason`, when it did not run) and the ratios to it."""
    return {
        "quix_eps": quix["eps"],
        "quix_cpu_us_per_record": quix["cpu_us_per_record"],
        "quix_unavailable_reason": quix["reason"],
        "screening_vs_quix": ratio(screening_eps, quix["eps"]),
        "quix_vs_faust": ratio(quix["eps"], faust_eps),
        "quix": quix,
    }
