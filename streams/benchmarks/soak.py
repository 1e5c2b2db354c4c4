"""`screening bench soak`: one worker under a steady offered load for a long run (ten
minutes by default), its resident memory sampled throughout, and every payment counted
at the end: decided once, more than once, or not at all.

Memory is judged after a warm-up: the worker's bounded caches (the recent decisions it
replays to redeliveries, remembered name searches) fill during the first minutes; what
must not happen is growth after that. The figure is the growth from the end of the
warm-up to the end of the run, and the least-squares slope over that stretch.

Lag is sampled with the memory: the worker's consumer lag (its
`screening_consumer_lag_messages`, end offsets minus its group's commits) and the payments
offered but not decided yet; bounded lag means the offered rate is one the worker sustains.
The decision latency of every tenth payment is measured as the `latency` phase of
`screening bench` measures it: broker to broker where the broker stamps records with its
append time (Apache Kafka), else on the bench's clock (see `stamps`)."""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Producer

from streams.benchmarks.backlog import prepare_broker
from streams.benchmarks.bench_config import BenchConfig, Progress
from streams.benchmarks.bench_workers import BenchWorker, start_workers
from streams.benchmarks.process_peak import status_mib
from streams.benchmarks.stamps import Stamp, latencies, latency_span, quantiles, type_names, wall_ms
from streams.benchmarks.tail import Tail
from streams.kafka import topics
from streams.kafka.child_process import terminate
from streams.offline import synthetic
from streams.ops.metrics_scrape import StatusError, scrape
from streams.settings import Settings
from streams.velocity.rule import VelocityRule

# Payments are offered in slices this long, then the pacing sleeps off what is left.
SLICE_S = 0.05
# After the last offered payment is decided, how long to go on counting duplicates; and
# how long the decision topics may stay quiet before the count gives up.
SETTLE_S = 5.0
IDLE_S = 60.0
# One payment in this many has its latency measured (enough for a p99, and the bench's
# own memory stays small over a long run).
LATENCY_EVERY = 10
LAG_METRIC = "screening_consumer_lag_messages"


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
        # MiB to the page (4 KiB): the first sample, taken as the worker starts, can be a
        # few dozen KiB, which a tenth of a MiB rounded to nothing.
        "samples": [[round(t, 1), round(m, 3)] for t, m in samples],
    }


def decision_counts(txn_ids: list[bytes], decided: Counter[bytes]) -> dict[str, int]:
    """Offered payments decided exactly once, more than once, and not at all."""
    return {
        "decided_once": sum(1 for t in txn_ids if decided[t] == 1),
        "decided_more_than_once": sum(1 for t in txn_ids if decided[t] > 1),
        "undecided": sum(1 for t in txn_ids if decided[t] == 0),
    }


@dataclass
class Progressing:
    """What the soak has seen so far, shared by the load generator and the decision
    counter: decisions per txn id; the payments whose latency is measured, and their send
    and decision stamps."""

    decided: Counter[bytes] = field(default_factory=Counter)
    sampled: set[bytes] = field(default_factory=set)
    sent: dict[bytes, Stamp] = field(default_factory=dict)
    received: dict[bytes, Stamp] = field(default_factory=dict)
    started_ms: float = 0.0


def consumer_lag(worker: BenchWorker) -> float | None:
    """The worker's consumer lag in payments (its metrics page), None while it does not
    answer."""
    try:
        return scrape(f"http://127.0.0.1:{worker.web_port}/metrics", 2.0).value(LAG_METRIC)
    except StatusError:
        return None


def offer(
    settings: Settings,
    config: SoakConfig,
    sample: list[dict[str, Any]],
    worker: BenchWorker,
    seen: Progressing,
    progress: Progress,
) -> tuple[list[bytes], list[tuple[float, float]], list[tuple[float, float | None, int]]]:
    """Produce payments at `config.rate` for `config.minutes`, sampling the worker's
    memory and lag as it goes; returns the txn ids offered, the (seconds, MiB) samples and
    the (seconds, consumer lag, offered but undecided) samples."""
    handed: dict[bytes, float] = {}

    def delivered(err: Any, msg: Any) -> None:
        if err is None:
            kind, record_ms = msg.timestamp()
            seen.sent[msg.key()] = Stamp(kind, record_ms, handed.pop(msg.key()))

    out = Producer({**settings.kafka_client_config(), "linger.ms": 5})
    duration = config.minutes * 60
    count = int(config.rate * duration)
    payments = synthetic.payments(config.members, count, sample, 0.01, seed=21)
    offered: list[bytes] = []
    samples: list[tuple[float, float]] = []
    lags: list[tuple[float, float | None, int]] = []
    started = time.perf_counter()
    seen.started_ms = wall_ms()
    next_sample = 0.0
    for payment in payments:
        txn = payment["txn_id"].encode()
        topic = topics.payments_topic(payment["member_id"])
        if len(offered) % LATENCY_EVERY == 0:
            seen.sampled.add(txn)
            handed[txn] = wall_ms()
            out.produce(topic, orjson.dumps(payment), txn, on_delivery=delivered)
        else:
            out.produce(topic, orjson.dumps(payment), txn)
        offered.append(txn)
        if len(offered) % max(1, int(config.rate * SLICE_S)) == 0:
            out.poll(0)
            elapsed = time.perf_counter() - started
            if elapsed >= next_sample:
                samples.append((elapsed, resident_mb(worker.pid)))
                lags.append((elapsed, consumer_lag(worker), len(offered) - len(seen.decided)))
                next_sample += config.sample_every_s
                progress(
                    f"soak {elapsed:5.0f}s: {len(offered):,} offered, {samples[-1][1]:.0f} MiB, "
                    f"lag {lags[-1][1]}, undecided {lags[-1][2]:,}"
                )
            ahead = len(offered) / config.rate - elapsed
            if ahead > 0:
                time.sleep(ahead)
    out.flush(60)
    elapsed = time.perf_counter() - started
    samples.append((elapsed, resident_mb(worker.pid)))
    lags.append((elapsed, consumer_lag(worker), len(offered) - len(seen.decided)))
    return offered, samples, lags


def lag_figures(lags: list[tuple[float, float | None, int]], warmup_s: float) -> dict[str, Any]:
    """The largest consumer lag and undecided backlog sampled, over the run and after the
    warm-up, and the samples."""

    def largest(values: list[float]) -> float:
        return max(values, default=-1.0)

    steady = [(t, lag, backlog) for t, lag, backlog in lags if t >= warmup_s]
    return {
        "max_consumer_lag": largest([lag for _, lag, _ in lags if lag is not None]),
        "max_consumer_lag_after_warmup": largest([lag for _, lag, _ in steady if lag is not None]),
        "max_undecided_backlog": largest([b for _, _, b in lags]),
        "max_undecided_backlog_after_warmup": largest([b for _, _, b in steady]),
        "lag_samples": [[round(t, 1), lag, backlog] for t, lag, backlog in lags],
    }


def latency_figures(seen: Progressing, warmup_s: float) -> dict[str, Any]:
    """Latency quantiles (ms) of the sampled payments offered after the warm-up, and of all
    of them (those the worker met while it was still starting included); how many; the
    two instants they span and the timestamp types read."""
    steady_from = seen.started_ms + 1000.0 * warmup_s
    steady = {k: v for k, v in seen.sent.items() if v.wall_ms >= steady_from}
    figures, broker = latencies(steady, seen.received)
    everything, _ = latencies(seen.sent, seen.received)
    return {
        "latency_ms": quantiles(figures),
        "latency_all_ms": quantiles(everything),
        "latency_sampled": len(everything),
        "latency_spans": latency_span(
            "payment", "payments.<member>", "its decision", "decisions.<member>", broker
        ),
        "timestamp_types": {
            "payments": type_names(seen.sent.values()),
            "decisions": type_names(seen.received.values()),
        },
    }


def count_decisions(
    settings: Settings, config: SoakConfig, offered: int, seen: Progressing
) -> None:
    """Count decisions per txn id on the members' decision topics into `seen` (and stamp
    those of sampled payments) as they arrive: until every offered payment is decided and
    SETTLE_S more (late duplicates count too), or until the topics stay quiet for
    IDLE_S."""
    deadline = time.monotonic() + config.minutes * 60 + 900
    last = complete_at = None
    with Tail(settings, [topics.decisions_topic(m) for m in config.members], True) as tail:
        while time.monotonic() < deadline:
            arrivals = tail.poll(0.2)
            now = time.monotonic()
            for arrival in arrivals:
                if arrival.key is None:
                    continue
                seen.decided[arrival.key] += 1
                if arrival.key in seen.sampled:
                    seen.received.setdefault(arrival.key, arrival.stamp)
            if arrivals or last is None:
                last = now
            if len(seen.decided) >= offered:
                complete_at = complete_at or now
                if now - complete_at >= SETTLE_S:
                    return
            if now - last > IDLE_S:
                return


def run(settings: Settings, config: SoakConfig, progress: Progress) -> dict[str, Any]:
    """The soak, against one broker: memory and lag over the run, the decision count and
    the sampled payments' latency."""
    sample = prepare_broker(settings, config.members, config.rules, config.watchlist)
    progress(f"watchlist of {config.watchlist:,} published")
    seen = Progressing()
    with tempfile.TemporaryDirectory() as tmp:
        [worker] = start_workers(settings, BenchConfig(members=config.members), Path(tmp))
        try:
            # Decisions are counted as they come, not read back at the end: a long run's
            # topics can outgrow what a broker keeps from their beginning.
            expected = int(config.rate * config.minutes * 60)
            counter = threading.Thread(
                target=count_decisions, args=(settings, config, expected, seen), daemon=True
            )
            counter.start()
            offered, samples, lags = offer(settings, config, sample, worker, seen, progress)
            # No sample after the load: a worker gone idle once the last decision is
            # out is not the end of a run under load (it showed as negative growth).
            counter.join()
        finally:
            terminate(worker.process)
    warmup_s = config.minutes * 60 * config.warmup_fraction
    return {
        "minutes": config.minutes,
        "offered_eps": config.rate,
        "offered": len(offered),
        **decision_counts(offered, seen.decided),
        "warmup_s": warmup_s,
        **memory_figures(samples, warmup_s),
        **lag_figures(lags, warmup_s),
        **latency_figures(seen, warmup_s),
        "watchlist_entries": config.watchlist,
        "velocity_rules": len(config.rules),
    }
