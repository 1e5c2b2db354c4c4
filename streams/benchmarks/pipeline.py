"""`screening bench`: screening throughput against the same-run stock Faust baseline and
the raw-client ceiling, decision latency at a paced offered load, CPU per payment and
peak memory, all on one broker in one run. With several workers the run also measures
one worker on a copy of the same backlog, and reports the scaling against it.

Throughput is measured from the record timestamps of the outputs (first to last), so
process start-up and group joins are not counted; latency (`latency`) and the time a
watchlist or rule change takes to reach decisions (`updates`) run broker to broker where
the broker stamps records with its append time, else on the bench's clock from sending to
receiving; card masking speed is a micro-benchmark (`masking_speed`). The results say
which two instants each figure spans."""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer

from streams.benchmarks import masking_speed, updates
from streams.benchmarks.backlog import preload_payments, prepare_broker
from streams.benchmarks.bench_config import BenchConfig, Progress
from streams.benchmarks.bench_workers import (
    BenchWorker,
    start_process,
    start_workers,
    wait_until_screening,
)
from streams.benchmarks.latency import paced_latency
from streams.benchmarks.measure import process_stats, rate_from_timestamps
from streams.benchmarks.stamps import Stamp, throughput_span, type_names
from streams.benchmarks.tail import collect_stamps
from streams.kafka import topics
from streams.kafka.child_process import terminate
from streams.kafka.client import topic_partitions
from streams.settings import Settings
from streams.velocity.rules_topic import publish_rules

RAW_SINK = "bench.raw"
FAUST_SINK = "bench.faust"
RAW_SPANS = {
    "from": "the bench's consumer starting to read the backlog (bench perf_counter)",
    "to": "the bench's producer having flushed the last forwarded record (bench perf_counter)",
}


def raw_ceiling(settings: Settings, config: BenchConfig) -> float:
    """confluent-kafka consume plus produce, no screening: payments per second."""
    consumer = Consumer(
        {
            **settings.kafka_client_config(),
            "group.id": "bench-raw",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 10,
        }
    )
    names = [topics.payments_topic(m) for m in config.members]
    consumer.assign(topic_partitions(consumer, names, OFFSET_BEGINNING))
    out = Producer(
        {
            **settings.kafka_client_config(),
            "linger.ms": 5,
            "queue.buffering.max.messages": 1_000_000,
        }
    )
    seen = 0
    started = time.perf_counter()
    while seen < config.payments and time.perf_counter() - started < 120:
        for message in consumer.consume(num_messages=10_000, timeout=0.5):
            if message.error() is None:
                out.produce(RAW_SINK, message.value(), message.key())
                seen += 1
        out.poll(0)
    out.flush(30)
    elapsed = time.perf_counter() - started
    consumer.close()
    return seen / elapsed


def faust_baseline(
    settings: Settings, config: BenchConfig, work: Path
) -> tuple[float, dict[str, str]]:
    """A stock Faust agent that decodes and forwards: payments per second, and the two
    instants the rate spans."""
    inputs = [topics.payments_topic(m) for m in config.members]
    process = start_process(
        [
            "-m",
            "streams.benchmarks.faust_baseline",
            settings.bootstrap_servers,
            "bench-faust",
            FAUST_SINK,
            *inputs,
        ],
        {},
        work / "faust.log",
    )
    try:
        stamps = collect_stamps(settings, [FAUST_SINK], config.payments, 300, "faust")
    finally:
        terminate(process)
    return backlog_figures(stamps, 0.0)[0], throughput_span(
        "forwarded payment", FAUST_SINK, "the Faust agent's producer", stamps.values()
    )


def reference_config(config: BenchConfig, name: str, **changes: Any) -> BenchConfig:
    """A reference phase of a run: the same payments under member names ending in
    `-name`, so no phase reads another's topics, decisions or state, with `changes`."""
    members = tuple(f"{m}-{name}" for m in config.members)
    return replace(config, members=members, **changes)


def decide_backlog(
    settings: Settings, config: BenchConfig, workers: list[BenchWorker]
) -> tuple[dict[bytes, Stamp], float]:
    """Wait until the workers consume their first payment, then for every preloaded
    payment's decision; returns each decision's stamp and the workers' CPU
    seconds from that first payment on (start-up and watchlist replay are not
    screening). Not from the first decision: with velocity rules, the workers route
    thousands of payments to their stages before the first is decided."""
    decisions = [topics.decisions_topic(m) for m in config.members]
    wait_until_screening(workers, 300)
    cpu_before = sum(process_stats(w.pid)[0] for w in workers)
    stamps = collect_stamps(settings, decisions, config.payments, 600, "screening")
    return stamps, sum(process_stats(w.pid)[0] for w in workers) - cpu_before


def reference_phase(
    settings: Settings, config: BenchConfig, work: Path, app_id: str
) -> tuple[float, float]:
    """Screening throughput (payments/s) and CPU per payment (ms) of `config`'s workers
    over its backlog, as consumer group `app_id`: a run's reference phases."""
    workers = start_workers(settings, config, work, app_id=app_id)
    try:
        stamps, cpu_used = decide_backlog(settings, config, workers)
    finally:
        for worker in workers:
            terminate(worker.process)
    return backlog_figures(stamps, cpu_used)


def backlog_figures(stamps: dict[bytes, Stamp], cpu_s: float) -> tuple[float, float]:
    """Throughput (payments/s, between the first and last record timestamp) and CPU per
    payment (ms) of a backlog's outputs."""
    rate = rate_from_timestamps([s.record_ms for s in stamps.values()])
    return rate, 1000.0 * cpu_s / max(1, len(stamps))


def run(settings: Settings, config: BenchConfig, progress: Progress) -> dict[str, Any]:
    """Every figure of the benchmark, measured in one run against one broker. With
    several workers, one worker runs a copy of the backlog first (the scaling); with
    rules, the workers run a copy without rules before the rules are published (what
    the rules cost)."""
    solo = reference_config(config, "solo", workers=1) if config.workers > 1 else None
    bare = reference_config(config, "no-rules", rules=()) if config.rules else None
    references = [c for c in (solo, bare) if c is not None]
    masking = masking_speed.run()
    progress(
        f"masking: {masking['typical']['mb_per_s']:,.0f} MB/s typical, "
        f"{masking['card_heavy']['payments_per_s']:,.0f} card-heavy payments/s"
    )
    started = time.perf_counter()
    sample = prepare_broker(
        settings,
        [m for c in (config, *references) for m in c.members],
        (),
        config.watchlist,
        extra_topics=[RAW_SINK, FAUST_SINK],
    )
    for each in (config, *references):
        preload_payments(settings, each, sample)
    progress(
        f"watchlist of {config.watchlist:,} and {config.payments:,} payments loaded in "
        f"{time.perf_counter() - started:.1f}s"
    )
    raw = raw_ceiling(settings, config)
    progress(f"raw ceiling: {raw:,.0f} payments/s")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        baseline, faust_spans = faust_baseline(settings, config, work)
        progress(f"stock Faust baseline: {baseline:,.0f} payments/s")
        no_rules: tuple[float, float] | None = None
        if bare is not None:
            no_rules = reference_phase(settings, bare, work, "bench-screening-no-rules")
            progress(f"without rules: {no_rules[0]:,.0f} payments/s, {no_rules[1]:.3f} ms CPU")
            publish_rules(settings, config.rules)
        one_worker = None
        if solo is not None:
            one_worker = reference_phase(settings, solo, work, "bench-screening-solo")[0]
            progress(f"one worker: {one_worker:,.0f} payments/s")
        workers = start_workers(settings, config, work)
        try:
            stamps, cpu_used = decide_backlog(settings, config, workers)
            screening, cpu_ms = backlog_figures(stamps, cpu_used)
            progress(f"screening: {screening:,.0f} payments/s ({len(stamps):,} decided)")
            latency = paced_latency(settings, config)
            progress(
                f"latency at {config.offered_rate:,.0f}/s: p50 {latency['p50']:.1f} ms, "
                f"p99 {latency['p99']:.1f} ms"
            )
            changes = updates.run(settings, config.members[0])
            progress(
                "updates (ms): " + ", ".join(f"{k} {changes[k]['ms']}" for k in updates.FIGURES)
            )
            peaks = [process_stats(w.pid)[1] for w in workers]
        finally:
            for worker in workers:
                terminate(worker.process)
    return {
        "events": config.payments,
        "decided": len(stamps),
        "workers": config.workers,
        "screening_eps": screening,
        "faust_baseline_eps": baseline,
        "raw_ceiling_eps": raw,
        "speedup_vs_faust": screening / baseline if baseline else None,
        "one_worker_eps": one_worker,
        "scaling_vs_one_worker": screening / one_worker if one_worker else None,
        "latency_ms": {k: latency[k] for k in ("p50", "p95", "p99")},
        "latency_spans": latency["spans"],
        "latency_record_timestamps_ms": latency["record_timestamps_ms"],
        "throughput_spans": {
            "screening_eps": throughput_span(
                "decision", "decisions.<member>", "the worker's producer", stamps.values()
            ),
            "faust_baseline_eps": faust_spans,
            "raw_ceiling_eps": RAW_SPANS,
        },
        "timestamp_types": {
            **latency["timestamp_types"],
            "backlog decisions": type_names(stamps.values()),
        },
        "latency_offered_eps": latency["offered_eps"],
        "latency_decided": latency["decided"],
        "cpu_ms_per_payment": cpu_ms,
        "no_rules_eps": no_rules[0] if no_rules else None,
        "no_rules_cpu_ms_per_payment": no_rules[1] if no_rules else None,
        "rule_cost": cpu_ms / no_rules[1] - 1.0 if no_rules and no_rules[1] else None,
        "peak_memory_mb": max(peaks),
        "watchlist_entries": config.watchlist,
        "velocity_rules": len(config.rules),
        "updates": changes,
        "masking": masking,
    }
