"""`screening bench` and `screening bench soak` end to end on a broker of their own: a
small benchmark decides every preloaded and every paced payment and writes the figures
DESIGN.md names, the two instants each latency and throughput figure spans, how long
watchlist and rule changes take to reach decisions, and card masking speed; a short soak
decides every payment it offered exactly once and reports the worker's memory over the
run. With `--engine kafka` both start a one-node Apache Kafka of their own, which stamps
records with its append time, so their latencies run broker to broker."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.integration.harness import screening

pytestmark = pytest.mark.integration


def bench(
    broker: str, tmp_path: Path, *args: str
) -> tuple[subprocess.CompletedProcess[bytes], dict[str, Any]]:
    """`screening bench ARGS` on `broker` as a user runs it: the finished run (checked to
    have succeeded) and the figures of its --json file."""
    results = tmp_path / "bench.json"
    run = screening("bench", *args, "--bootstrap", broker, "--json", str(results), bootstrap=broker)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    return run, orjson.loads(results.read_bytes())


DEFAULT_RULES = Path(__file__).resolve().parents[2] / "deploy" / "rules" / "default.yaml"


def test_bench_with_two_workers_and_rules_writes_every_figure_scaling_and_rule_cost(
    own_broker: str, tmp_path: Path
) -> None:
    run, figures = bench(
        own_broker,
        tmp_path,
        "--payments",
        "1000",
        "--watchlist-entries",
        "1000",
        "--workers",
        "2",
        "--rate",
        "200",
        "--latency-seconds",
        "5",
        "--rules",
        str(DEFAULT_RULES),
        # The loads at shares of saturation and Quix Streams: the quick test's part.
        "--rates",
        "none",
        "--no-quix",
    )
    assert figures["events"] == figures["decided"] == 1000
    assert figures["velocity_rules"] == 6
    assert figures["workers"] == 2
    assert figures["latency_decided"] == 1000  # 200/s for 5 s, every one decided
    for rate in (
        "screening_eps",
        "faust_baseline_eps",
        "raw_ceiling_eps",
        "one_worker_eps",
        "no_rules_eps",
    ):
        assert figures[rate] > 0, rate
    assert figures["scaling_vs_one_worker"] == pytest.approx(
        figures["screening_eps"] / figures["one_worker_eps"]
    )
    latency = figures["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
    assert figures["cpu_ms_per_payment"] > 0 and figures["no_rules_cpu_ms_per_payment"] > 0
    assert figures["rule_cost"] == pytest.approx(
        figures["cpu_ms_per_payment"] / figures["no_rules_cpu_ms_per_payment"] - 1
    )
    assert figures["peak_memory_mb"] > 50
    assert b"scaling (2 / 1 workers)" in run.stdout
    assert b"CPU added by the rules" in run.stdout
    check_spans_updates_and_masking(figures)
    assert b"velocity rule to hold" in run.stdout and b"masking card-heavy" in run.stdout


def test_quick_bench_measures_each_worker_count_at_each_load_against_quix_streams(
    own_broker: str, tmp_path: Path
) -> None:
    """`--quick`: one and two workers, each at 200/s and at 50 % and 80 % of the saturation
    rate it measured, and a Quix Streams passthrough over the same 1,000 payments (its
    virtualenv made first if this machine has none yet: about 20 s)."""
    run, figures = bench(own_broker, tmp_path, "--quick")
    assert figures["events"] == figures["decided"] == 1000
    assert figures["workers"] == 2 and figures["worker_counts"] == [1, 2]
    one, two = figures["scale"]
    assert [one["workers"], two["workers"]] == [1, 2]
    for count in (one, two):
        assert count["decided"] == count["events"] == 1000
        assert count["vs_faust"] == pytest.approx(
            count["screening_eps"] / figures["faust_baseline_eps"]
        )
        assert count["vs_raw_ceiling"] == pytest.approx(
            count["screening_eps"] / figures["raw_ceiling_eps"]
        )
        assert count["vs_quix"] == pytest.approx(count["screening_eps"] / figures["quix_eps"])
        fixed, half, most = count["loads"]
        assert [fixed["load"], half["load"], most["load"]] == [
            "200/s",
            "50% of saturation",
            "80% of saturation",
        ]
        assert fixed["offered"] == 600  # 200/s for 3 s
        for load, share in ((half, 0.5), (most, 0.8)):
            assert load["offered_eps"] == pytest.approx(share * count["screening_eps"])
            assert 1 <= load["offered"] <= 1000  # bounded by the backlog
        for load in (fixed, half, most):
            assert load["decided"] == load["offered"], load
            latency = load["latency_ms"]
            assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
    # The fixed fields are the headline (largest) worker count's.
    assert figures["screening_eps"] == two["screening_eps"]
    assert figures["cpu_ms_per_payment"] == two["cpu_ms_per_payment"]
    assert figures["latency_ms"] == two["loads"][0]["latency_ms"]
    assert figures["latency_decided"] == 600
    assert figures["one_worker_eps"] == one["screening_eps"]
    assert figures["cpu_vs_one_worker"] == two["cpu_vs_one_worker"]
    assert two["cpu_vs_one_worker"] == pytest.approx(
        two["cpu_ms_per_payment"] / one["cpu_ms_per_payment"]
    )
    assert figures["screening_vs_raw_ceiling"] == pytest.approx(
        figures["screening_eps"] / figures["raw_ceiling_eps"]
    )
    assert figures["quix_unavailable_reason"] is None
    assert figures["quix_eps"] > 0 and figures["quix_cpu_us_per_record"] > 0
    assert figures["quix"]["records"] == 1000 and figures["quix"]["version"] == "3.28.1"
    assert figures["screening_vs_quix"] == pytest.approx(
        figures["screening_eps"] / figures["quix_eps"]
    )
    for text in (b"Quix Streams passthrough", b"2 workers", b"p50/95/99 @ 80% of saturation"):
        assert text in run.stdout, text


def check_spans_updates_and_masking(figures: dict[str, Any]) -> None:
    """Every latency and throughput figure names its two instants, on the clock the
    timestamp types read allow; the change figures are measured and masking has rates."""
    types = figures["timestamp_types"]
    assert set(types) == {"payments", "decisions", "backlog decisions"}
    on_broker = types["payments"] == types["decisions"] == "LogAppendTime"
    spans = figures["latency_spans"]
    assert set(spans) == {"from", "to"}
    assert ("broker LogAppendTime" in spans["from"]) == on_broker
    assert ("bench's consumer" in spans["to"]) == (not on_broker)
    stamped = figures["latency_record_timestamps_ms"]
    assert stamped["p50"] <= stamped["p95"] <= stamped["p99"] and set(stamped["spans"]) == {
        "from",
        "to",
    }
    throughput = figures["throughput_spans"]
    assert set(throughput) == {"screening_eps", "faust_baseline_eps", "raw_ceiling_eps"}
    assert all(set(s) == {"from", "to"} for s in throughput.values())
    assert types["backlog decisions"] in throughput["screening_eps"]["from"]
    updates = figures["updates"]
    for change in ("watchlist_add", "watchlist_revoke", "velocity_rule"):
        assert 0 < updates[change]["ms"] < 60_000, change
        assert set(updates[change]["spans"]) == {"from", "to"}
    masking = figures["masking"]
    for kind in ("typical", "card_heavy"):
        assert masking[kind]["mb_per_s"] > 0 and masking[kind]["payments_per_s"] > 0
    # A payment with no card takes one scan; one with four is decoded and encoded again.
    assert masking["typical"]["payments_per_s"] > masking["card_heavy"]["payments_per_s"]
    assert set(masking["spans"]) == {"from", "to"}


def test_soak_decides_every_offered_payment_once_and_samples_memory(
    own_broker: str, tmp_path: Path
) -> None:
    run, figures = bench(
        own_broker,
        tmp_path,
        "soak",
        "--minutes",
        "0.5",
        "--rate",
        "200",
        "--watchlist-entries",
        "1000",
    )
    assert figures["offered"] == 6000
    assert figures["decided_once"] == 6000
    assert figures["decided_more_than_once"] == 0
    assert figures["undecided"] == 0
    # Sampled every ten seconds over thirty, plus the end: the worker's real memory (the
    # first sample is taken as the worker starts, before it has loaded anything).
    assert len(figures["samples"]) >= 4
    assert all(rss > 0 for _, rss in figures["samples"])
    assert figures["rss_peak_mb"] >= figures["rss_end_mb"] > 50
    assert figures["rss_after_warmup_mb"] > 50
    assert b"decided exactly once" in run.stdout


def test_soak_refuses_a_run_too_short_to_judge(own_broker: str) -> None:
    run = screening("bench", "soak", "--minutes", "0.1", bootstrap=own_broker)
    assert run.returncode == 2
    assert b"--minutes" in run.stderr
    assert b"Traceback" not in run.stderr


def kafka_bench(
    bootstrap_servers: str, tmp_path: Path, *args: str
) -> tuple[subprocess.CompletedProcess[bytes], dict[str, Any]]:
    """`screening bench ARGS --engine kafka`: the finished run (checked to have succeeded)
    and the figures of its --json file. The environment's broker is not used."""
    results = tmp_path / "bench.json"
    run = screening(
        "bench", *args, "--engine", "kafka", "--json", str(results), bootstrap=bootstrap_servers
    )
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    return run, orjson.loads(results.read_bytes())


def test_bench_on_kafka_decides_everything_broker_to_broker(
    bootstrap_servers: str, tmp_path: Path
) -> None:
    run, figures = kafka_bench(
        bootstrap_servers,
        tmp_path,
        "--payments",
        "1000",
        "--watchlist-entries",
        "1000",
        "--rate",
        "200",
        "--latency-seconds",
        "5",
        "--workers",
        "1",
        "--rates",
        "none",
        "--no-quix",
    )
    assert figures["broker"]["engine"] == "kafka" and figures["broker"]["nodes"] == 1
    assert figures["events"] == figures["decided"] == 1000
    assert figures["latency_decided"] == 1000
    assert figures["timestamp_types"] == {
        "payments": "LogAppendTime",
        "decisions": "LogAppendTime",
        "backlog decisions": "LogAppendTime",
    }
    assert "broker LogAppendTime" in figures["latency_spans"]["to"]
    assert "broker LogAppendTime" in figures["throughput_spans"]["screening_eps"]["from"]
    check_spans_updates_and_masking(figures)
    assert b"broker: Apache Kafka" in run.stdout


def test_soak_on_kafka_decides_every_payment_with_bounded_lag(
    bootstrap_servers: str, tmp_path: Path
) -> None:
    run, figures = kafka_bench(
        bootstrap_servers,
        tmp_path,
        "soak",
        "--minutes",
        "0.5",
        "--rate",
        "200",
        "--watchlist-entries",
        "1000",
    )
    assert figures["broker"]["engine"] == "kafka"
    assert figures["offered"] == figures["decided_once"] == 6000
    assert figures["decided_more_than_once"] == figures["undecided"] == 0
    # 200/s to a worker that decides thousands a second: once it has started (after the
    # warm-up, the first fifth), what waits at any sample is under five seconds' worth.
    assert 0 <= figures["max_consumer_lag_after_warmup"] < 1000
    assert 0 <= figures["max_undecided_backlog_after_warmup"] < 1000
    assert figures["max_consumer_lag"] >= figures["max_consumer_lag_after_warmup"]
    assert len(figures["lag_samples"]) >= 4
    assert figures["latency_sampled"] == 600  # every tenth payment
    assert 0 < figures["latency_ms"]["p50"] <= figures["latency_ms"]["p99"]
    assert figures["timestamp_types"] == {
        "payments": "LogAppendTime",
        "decisions": "LogAppendTime",
    }
    assert "broker LogAppendTime" in figures["latency_spans"]["from"]
    assert b"max consumer lag" in run.stdout
