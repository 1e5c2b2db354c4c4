"""`screening bench`: screening throughput against the same-run stock Faust baseline, the
raw-client ceiling and a plain Quix Streams passthrough; CPU per payment, peak memory and
decision latency at paced loads (the fixed rate, and shares of the measured saturation
rate) for one worker and for each other worker count in one group; all on one broker in
one run (see `scale_phases` for a worker count's phase).

Throughput is measured from the record timestamps of the outputs (first to last), so
process start-up and group joins are not counted; latency (`latency`) and the time a
watchlist or rule change takes to reach decisions (`updates`) run broker to broker where
the broker stamps records with its append time, else on the bench's clock from sending to
receiving; card masking speed is a micro-benchmark (`masking_speed`). The results say
which two instants each figure spans."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer

from streams.benchmarks import masking_speed, quix_compare, updates
from streams.benchmarks.backlog import preload_payments, prepare_broker
from streams.benchmarks.bench_config import BenchConfig, Progress, reference_config
from streams.benchmarks.bench_summary import quix_fields, ratio, scale_figures
from streams.benchmarks.bench_workers import start_process
from streams.benchmarks.quix_compare import QUIX_SINK
from streams.benchmarks.scale_phases import (
    backlog_figures,
    count_config,
    reference_phase,
    run_count,
)
from streams.benchmarks.stamps import throughput_span, type_names
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


def run(settings: Settings, config: BenchConfig, progress: Progress) -> dict[str, Any]:
    """Every figure of the benchmark, measured in one run against one broker: the raw
    client, stock Faust and Quix Streams over the backlog, then each worker count (one
    worker first, the reference; `config.workers`, the headline, last) on a copy of it
    with its loads. With rules, the headline workers run a copy without rules before the
    rules are published (what the rules cost)."""
    counts = config.counts()
    bare = reference_config(config, "no-rules", rules=()) if config.rules else None
    phases = [count_config(config, n) for n in counts]
    masking = masking_speed.run()
    progress(
        f"masking: {masking['typical']['mb_per_s']:,.0f} MB/s typical, "
        f"{masking['card_heavy']['payments_per_s']:,.0f} card-heavy payments/s"
    )
    started = time.perf_counter()
    copies = [*phases, *([bare] if bare is not None else [])]
    sample = prepare_broker(
        settings,
        [m for c in copies for m in c.members],
        (),
        config.watchlist,
        extra_topics=[RAW_SINK, FAUST_SINK, QUIX_SINK],
    )
    for each in copies:
        preload_payments(settings, each, sample)
    progress(
        f"watchlist of {config.watchlist:,} and {len(copies)} x {config.payments:,} payments "
        f"loaded in {time.perf_counter() - started:.1f}s"
    )
    raw = raw_ceiling(settings, config)
    progress(f"raw ceiling: {raw:,.0f} payments/s")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        baseline, faust_spans = faust_baseline(settings, config, work)
        progress(f"stock Faust baseline: {baseline:,.0f} payments/s")
        quix = quix_phase(settings, config, work, progress)
        no_rules: tuple[float, float] | None = None
        if bare is not None:
            no_rules = reference_phase(settings, bare, work, "bench-screening-no-rules")
            progress(f"without rules: {no_rules[0]:,.0f} payments/s, {no_rules[1]:.3f} ms CPU")
            publish_rules(settings, config.rules)
        runs = [
            run_count(settings, phase, work, progress, f"bench-screening-w{phase.workers}")
            for phase in phases[:-1]
        ]
        head = run_count(
            settings,
            config,
            work,
            progress,
            "bench-screening",
            lambda: updates.run(settings, config.members[0]),
        )
        runs.append(head)
    assert head.updates is not None
    progress("updates (ms): " + ", ".join(f"{k} {head.updates[k]['ms']}" for k in updates.FIGURES))
    one_worker = runs[0] if config.workers > 1 else None
    latency = head.loads[0]
    screening, cpu_ms = head.screening_eps, head.cpu_ms_per_payment
    return {
        "events": config.payments,
        "decided": len(head.stamps),
        "workers": config.workers,
        "worker_counts": list(counts),
        "screening_eps": screening,
        "faust_baseline_eps": baseline,
        "raw_ceiling_eps": raw,
        "speedup_vs_faust": screening / baseline if baseline else None,
        "screening_vs_raw_ceiling": ratio(screening, raw),
        **quix_fields(quix, screening, baseline),
        "one_worker_eps": one_worker.screening_eps if one_worker else None,
        "scaling_vs_one_worker": ratio(screening, one_worker.screening_eps) if one_worker else None,
        "cpu_vs_one_worker": ratio(cpu_ms, one_worker.cpu_ms_per_payment) if one_worker else None,
        "latency_ms": {k: latency[k] for k in ("p50", "p95", "p99")},
        "latency_spans": latency["spans"],
        "latency_record_timestamps_ms": latency["record_timestamps_ms"],
        "throughput_spans": {
            "screening_eps": throughput_span(
                "decision", "decisions.<member>", "the worker's producer", head.stamps.values()
            ),
            "faust_baseline_eps": faust_spans,
            "raw_ceiling_eps": RAW_SPANS,
        },
        "timestamp_types": {
            **latency["timestamp_types"],
            "backlog decisions": type_names(head.stamps.values()),
        },
        "latency_offered_eps": latency["offered_eps"],
        "latency_decided": latency["decided"],
        "cpu_ms_per_payment": cpu_ms,
        "no_rules_eps": no_rules[0] if no_rules else None,
        "no_rules_cpu_ms_per_payment": no_rules[1] if no_rules else None,
        "rule_cost": cpu_ms / no_rules[1] - 1.0 if no_rules and no_rules[1] else None,
        "peak_memory_mb": head.peak_memory_mb,
        "watchlist_entries": config.watchlist,
        "velocity_rules": len(config.rules),
        "scale": scale_figures(runs, baseline, raw, quix["eps"]),
        "updates": head.updates,
        "masking": masking,
    }


def quix_phase(
    settings: Settings, config: BenchConfig, work: Path, progress: Progress
) -> dict[str, Any]:
    """The Quix Streams passthrough's figures, or why there are none (one progress line)."""
    if not config.quix:
        return quix_compare.unavailable("Quix Streams not run (--no-quix)")
    quix = quix_compare.run(settings, config, work, progress)
    if quix["eps"] is None:
        progress(f"{quix['reason']}; the other figures follow")
    else:
        progress(
            f"Quix Streams passthrough: {quix['eps']:,.0f} records/s, "
            f"{quix['cpu_us_per_record']:.0f} us CPU per record"
        )
    return quix
