"""`screening bench`'s screening phases, one per worker count: the workers of one consumer
group decide a backlog (the saturation rate and CPU per payment), then are offered the
paced loads of `load_schedule` (the fixed rate, then shares of that saturation rate)
while the bench reads each decision's latency."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streams.benchmarks.bench_config import BenchConfig, Progress, reference_config
from streams.benchmarks.bench_workers import (
    BenchWorker,
    start_workers,
    wait_until_all_assigned,
    wait_until_screening,
)
from streams.benchmarks.latency import paced_latency
from streams.benchmarks.load_schedule import phase_size, schedule
from streams.benchmarks.measure import process_stats, rate_from_timestamps
from streams.benchmarks.screening_cpu import ScreeningCpu
from streams.benchmarks.stamps import Stamp
from streams.benchmarks.tail import collect_stamps
from streams.kafka import topics
from streams.kafka.child_process import terminate
from streams.settings import Settings


@dataclass
class CountRun:
    """What one worker count measured: the backlog's decisions and figures, each load's
    latency result (`paced_latency`'s, with `load` and `fraction`; the fixed rate first),
    the workers' peak memory and, for the headline count, the change figures."""

    workers: int
    events: int
    stamps: dict[bytes, Stamp]
    screening_eps: float
    cpu_ms_per_payment: float
    loads: list[dict[str, Any]] = field(default_factory=list)
    peak_memory_mb: float = 0.0
    updates: dict[str, Any] | None = None


def count_config(config: BenchConfig, workers: int) -> BenchConfig:
    """The configuration of `workers`' phase: the run's own for its headline count, else
    a copy of the backlog under member names of its own (see `reference_config`)."""
    if workers == config.workers:
        return config
    return reference_config(config, "solo" if workers == 1 else f"w{workers}", workers=workers)


def decide_backlog(
    settings: Settings, config: BenchConfig, workers: list[BenchWorker]
) -> tuple[dict[bytes, Stamp], float]:
    """Wait until the workers consume their first payment, then for every preloaded
    payment's decision; returns each decision's stamp and the workers' CPU
    seconds from that first payment on, each worker's from the end of its own start-up
    if that came later (start-up and watchlist replay are not screening, see
    `screening_cpu`). Not from the first decision: with velocity rules, the workers route
    thousands of payments to their stages before the first is decided."""
    decisions = [topics.decisions_topic(m) for m in config.members]
    wait_until_screening(workers, 300)
    cpu = ScreeningCpu(workers)
    cpu.start()
    stamps = collect_stamps(settings, decisions, config.payments, 600, "screening")
    return stamps, cpu.used()


def backlog_figures(stamps: dict[bytes, Stamp], cpu_s: float) -> tuple[float, float]:
    """Throughput (payments/s, between the first and last record timestamp) and CPU per
    payment (ms) of a backlog's outputs."""
    rate = rate_from_timestamps([s.record_ms for s in stamps.values()])
    return rate, 1000.0 * cpu_s / max(1, len(stamps))


def reference_phase(
    settings: Settings, config: BenchConfig, work: Path, app_id: str
) -> tuple[float, float]:
    """Screening throughput (payments/s) and CPU per payment (ms) of `config`'s workers
    over its backlog, as consumer group `app_id`: the run without rules."""
    workers = start_workers(settings, config, work, app_id=app_id)
    try:
        stamps, cpu_used = decide_backlog(settings, config, workers)
    finally:
        for worker in workers:
            terminate(worker.process)
    return backlog_figures(stamps, cpu_used)


def offered_loads(
    settings: Settings, config: BenchConfig, saturation_eps: float, progress: Progress
) -> list[dict[str, Any]]:
    """Offer each load of the schedule in turn to the running workers: the fixed rate for
    `latency_seconds`, each other load for as long but at most the backlog's size in
    payments; a share of a saturation that was not measured is skipped (`skipped`)."""
    results: list[dict[str, Any]] = []
    for i, load in enumerate(schedule(config.offered_rate, config.loads)):
        described = {"load": load.label(), "fraction": load.fraction}
        rate = load.offered_rate(saturation_eps)
        if rate is None:
            results.append({**described, "skipped": "the saturation rate was not measured"})
            continue
        count = None if i == 0 else phase_size(rate, config.latency_seconds, config.payments)
        latency = paced_latency(settings, config, rate, count, tag=f"w{config.workers}-{i}-")
        offered = f" ({rate:,.0f}/s)" if load.fraction is not None else ""
        progress(
            f"{config.workers} worker(s), {load.label()}{offered}: p50 "
            f"{latency['p50']:.1f} ms, p99 {latency['p99']:.1f} ms, "
            f"{latency['decided']:,} of {latency['offered']:,} decided"
        )
        results.append({**described, **latency})
    return results


def run_count(
    settings: Settings,
    config: BenchConfig,
    work: Path,
    progress: Progress,
    app_id: str,
    changes: Callable[[], dict[str, Any]] | None = None,
) -> CountRun:
    """`config.workers` workers in group `app_id`: the backlog, then the loads, then
    `changes()` (the headline count's change figures) while they still run."""
    workers = start_workers(settings, config, work, app_id=app_id)
    try:
        stamps, cpu_used = decide_backlog(settings, config, workers)
        eps, cpu_ms = backlog_figures(stamps, cpu_used)
        progress(
            f"{config.workers} worker(s): {eps:,.0f} payments/s, {cpu_ms:.3f} ms CPU per "
            f"payment ({len(stamps):,} decided)"
        )
        run = CountRun(config.workers, config.payments, stamps, eps, cpu_ms)
        wait_until_all_assigned(workers, 300)
        run.loads = offered_loads(settings, config, eps, progress)
        run.updates = changes() if changes is not None else None
        run.peak_memory_mb = max(process_stats(w.pid)[1] for w in workers)
    finally:
        for worker in workers:
            terminate(worker.process)
    return run
