"""`screening bench soak`: one worker under a steady offered load for a long run (ten
minutes by default), its resident memory sampled throughout, and every payment counted
at the end: decided once, more than once, or not at all.

Memory is judged after a warm-up: the worker's bounded caches (the recent decisions it
replays to redeliveries, remembered name searches) fill during the first minutes; what
must not happen is growth after that. The figure is the growth from the end of the
warm-up to the end of the run, and the least-squares slope over that stretch."""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Producer

from streams.benchmarks.backlog import prepare_broker
from streams.benchmarks.bench_config import BenchConfig, Progress
from streams.benchmarks.bench_workers import start_workers
from streams.benchmarks.process_peak import status_mib
from streams.kafka import topics
from streams.kafka.child_process import terminate
from streams.kafka.client import read
from streams.offline import synthetic
from streams.settings import Settings
from streams.velocity.rule import VelocityRule

# Payments are offered in slices this long, then the pacing sleeps off what is left.
SLICE_S = 0.05
# After the last offered payment is decided, how long to go on counting duplicates; and
# how long the decision topics may stay quiet before the count gives up.
SETTLE_S = 5.0
IDLE_S = 60.0


@dataclass(frozen=True)
class SoakConfig:
    """How long, how fast, and what the worker screens against."""

    minutes: float = 10.0
    rate: float = 1_000.0
    warmup_fraction: float = 0.2
    sample_every_s: float = 10.0
    watchlist: int = 100_000
    members: tuple[str, ...] = ("soak-a", "soak-b", "soak-c")
    rules: tuple[VelocityRule, ...] = ()


def resident_mb(pid: int) -> float:
    """A process's resident memory now (VmRSS), in MiB."""
    return status_mib(Path(f"/proc/{pid}/status").read_text(), "VmRSS") or 0.0


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) samples, in MiB per minute; 0 for fewer
    than two samples."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    if spread == 0:
        return 0.0
    covariance = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    return 60.0 * covariance / spread


def memory_figures(
    samples: list[tuple[float, float]], warmup_s: float
) -> dict[str, float | list[list[float]]]:
    """Resident memory at the end of the warm-up and at the end, the growth between
    them and its slope; the samples themselves."""
    steady = [(t, m) for t, m in samples if t >= warmup_s] or samples[-1:]
    return {
        "rss_after_warmup_mb": steady[0][1],
        "rss_end_mb": steady[-1][1],
        "rss_peak_mb": max(m for _, m in samples),
        "growth_after_warmup_mb": steady[-1][1] - steady[0][1],
        "slope_mb_per_min": slope_per_minute(steady),
        "samples": [[round(t, 1), round(m, 1)] for t, m in samples],
    }


def decision_counts(txn_ids: list[bytes], decided: Counter[bytes]) -> dict[str, int]:
    """Offered payments decided exactly once, more than once, and not at all."""
    return {
        "decided_once": sum(1 for t in txn_ids if decided[t] == 1),
        "decided_more_than_once": sum(1 for t in txn_ids if decided[t] > 1),
        "undecided": sum(1 for t in txn_ids if decided[t] == 0),
    }


def offer(
    settings: Settings,
    config: SoakConfig,
    sample: list[dict[str, Any]],
    pid: int,
    progress: Progress,
) -> tuple[list[bytes], list[tuple[float, float]]]:
    """Produce payments at `config.rate` for `config.minutes`, sampling the worker's
    memory as it goes; returns the txn ids offered and the (seconds, MiB) samples."""
    out = Producer({**settings.kafka_client_config(), "linger.ms": 5})
    duration = config.minutes * 60
    count = int(config.rate * duration)
    payments = synthetic.payments(config.members, count, sample, 0.01, seed=21)
    offered: list[bytes] = []
    samples: list[tuple[float, float]] = []
    started = time.perf_counter()
    next_sample = 0.0
    for payment in payments:
        txn = payment["txn_id"].encode()
        out.produce(topics.payments_topic(payment["member_id"]), orjson.dumps(payment), txn)
        offered.append(txn)
        if len(offered) % max(1, int(config.rate * SLICE_S)) == 0:
            out.poll(0)
            elapsed = time.perf_counter() - started
            if elapsed >= next_sample:
                samples.append((elapsed, resident_mb(pid)))
                next_sample += config.sample_every_s
                progress(
                    f"soak {elapsed:5.0f}s: {len(offered):,} offered, {samples[-1][1]:.0f} MiB"
                )
            ahead = len(offered) / config.rate - elapsed
            if ahead > 0:
                time.sleep(ahead)
    out.flush(60)
    samples.append((time.perf_counter() - started, resident_mb(pid)))
    return offered, samples


def count_decisions(settings: Settings, config: SoakConfig, offered: int) -> Counter[bytes]:
    """Decisions per txn id on the members' decision topics: read until every offered
    payment is decided and SETTLE_S more (late duplicates count too), or until the
    topics stay quiet for IDLE_S."""
    decided: Counter[bytes] = Counter()
    complete_at: list[float] = []

    def settled(_: object) -> bool:
        if len(decided) < offered:
            return False
        if not complete_at:
            complete_at.append(time.monotonic())
        return time.monotonic() - complete_at[0] >= SETTLE_S

    for record in read(
        settings,
        [topics.decisions_topic(m) for m in config.members],
        idle_timeout_s=IDLE_S,
        total_timeout_s=config.minutes * 60 + 900,
        until=settled,
    ):
        if record.key is not None:
            decided[record.key] += 1
    return decided


def run(settings: Settings, config: SoakConfig, progress: Progress) -> dict[str, Any]:
    """The soak, against one broker: memory over the run and the decision count."""
    sample = prepare_broker(settings, config.members, config.rules, config.watchlist)
    progress(f"watchlist of {config.watchlist:,} published")
    with tempfile.TemporaryDirectory() as tmp:
        [worker] = start_workers(settings, BenchConfig(members=config.members), Path(tmp))
        try:
            # Decisions are counted as they come, not read back at the end: a long run's
            # topics can outgrow what a broker keeps from their beginning.
            counted: dict[str, Counter[bytes]] = {}
            expected = int(config.rate * config.minutes * 60)
            counter = threading.Thread(
                target=lambda: counted.update(decided=count_decisions(settings, config, expected)),
                daemon=True,
            )
            counter.start()
            offered, samples = offer(settings, config, sample, worker.pid, progress)
            counter.join()
            decided = counted.get("decided", Counter())
            samples.append((samples[-1][0], resident_mb(worker.pid)))
        finally:
            terminate(worker.process)
    return {
        "minutes": config.minutes,
        "offered_eps": config.rate,
        "offered": len(offered),
        **decision_counts(offered, decided),
        "warmup_s": config.minutes * 60 * config.warmup_fraction,
        **memory_figures(samples, config.minutes * 60 * config.warmup_fraction),
        "watchlist_entries": config.watchlist,
        "velocity_rules": len(config.rules),
    }
