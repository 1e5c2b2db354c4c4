"""`screening bench --engine`: which broker each benchmark runs on (the embedded one by
default, a one-node Apache Kafka with `kafka`, the one of --bootstrap whatever --engine
says), `--engine both` running the pipeline benchmark on each side by side, and the
combinations refused. The benchmarks and brokers are stand-ins; nothing starts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

from streams.benchmarks import bench_broker, pipeline, soak, watchlist_scale
from streams.cli.main import cli
from streams.settings import Settings

SPANS = {"from": "a", "to": "b"}


def pipeline_result(screening_eps: float) -> dict[str, Any]:
    """What `pipeline.run` returns, with made-up figures."""
    quantiles = {"p50": 1.0, "p95": 2.0, "p99": 3.0}
    change = {"ms": 50.0, "spans": SPANS}
    rate = {"mb_per_s": 100.0, "payments_per_s": 1000.0}
    return {
        "events": 1000,
        "decided": 1000,
        "workers": 1,
        "watchlist_entries": 1000,
        "screening_eps": screening_eps,
        "faust_baseline_eps": 1000.0,
        "speedup_vs_faust": screening_eps / 1000.0,
        "raw_ceiling_eps": 9000.0,
        "one_worker_eps": None,
        "latency_offered_eps": 200.0,
        "latency_ms": quantiles,
        "latency_record_timestamps_ms": quantiles,
        "latency_spans": SPANS,
        "cpu_ms_per_payment": 0.1,
        "rule_cost": None,
        "peak_memory_mb": 100.0,
        "updates": {"watchlist_add": change, "watchlist_revoke": change, "velocity_rule": change},
        "masking": {"typical": rate, "card_heavy": rate},
    }


def soak_result() -> dict[str, Any]:
    """What `soak.run` returns, with made-up figures."""
    quantiles = {"p50": 5.0, "p95": 9.0, "p99": 20.0}
    return {
        "offered": 600,
        "offered_eps": 10.0,
        "decided_once": 600,
        "decided_more_than_once": 0,
        "undecided": 0,
        "rss_after_warmup_mb": 400.0,
        "rss_end_mb": 401.0,
        "growth_after_warmup_mb": 1.0,
        "slope_mb_per_min": 0.1,
        "max_consumer_lag": 40.0,
        "max_consumer_lag_after_warmup": 12.0,
        "max_undecided_backlog": 50,
        "max_undecided_backlog_after_warmup": 15,
        "latency_ms": quantiles,
        "latency_all_ms": quantiles,
        "latency_spans": SPANS,
    }


class Brokers:
    """Records the brokers started and the bootstrap each benchmark ran against."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.bootstraps: list[str] = []

    @contextmanager
    def start(
        self, engine: str, settings: Settings, progress: object
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        self.started.append(engine)
        described = {"engine": engine, "version": "4.x", "nodes": 1}
        yield f"{engine}:9092", described


@pytest.fixture
def brokers(monkeypatch: pytest.MonkeyPatch) -> Brokers:
    fake = Brokers()
    monkeypatch.setattr(bench_broker, "started_broker", fake.start)
    eps = iter([2000.0, 3000.0])

    def run_pipeline(settings: Settings, config: object, progress: object) -> dict[str, Any]:
        fake.bootstraps.append(settings.bootstrap_servers)
        return pipeline_result(next(eps))

    def run_soak(settings: Settings, config: object, progress: object) -> dict[str, Any]:
        fake.bootstraps.append(settings.bootstrap_servers)
        return soak_result()

    def run_watchlist(settings: Settings, count: int, progress: object) -> dict[str, Any]:
        fake.bootstraps.append(settings.bootstrap_servers)
        return {}

    monkeypatch.setattr(pipeline, "run", run_pipeline)
    monkeypatch.setattr(soak, "run", run_soak)
    monkeypatch.setattr(watchlist_scale, "run", run_watchlist)
    monkeypatch.setattr(watchlist_scale, "table_rows", lambda result: [])
    monkeypatch.setattr(watchlist_scale, "table_notes", lambda result: [])
    return fake


def bench(*args: str) -> Result:
    return CliRunner().invoke(cli, ["bench", *args])


@pytest.mark.parametrize("command", [[], ["soak"], ["watchlist"]])
def test_every_benchmark_starts_the_embedded_broker_by_default(
    brokers: Brokers, command: list[str]
) -> None:
    result = bench(*command)
    assert result.exit_code == 0, result.output
    assert brokers.started == ["tansu"]
    assert brokers.bootstraps == ["tansu:9092"]


@pytest.mark.parametrize("command", [[], ["soak"], ["watchlist"]])
def test_engine_kafka_starts_apache_kafka_for_every_benchmark(
    brokers: Brokers, command: list[str]
) -> None:
    result = bench(*command, "--engine", "kafka")
    assert result.exit_code == 0, result.output
    assert brokers.started == ["kafka"]
    assert brokers.bootstraps == ["kafka:9092"]


@pytest.mark.parametrize("command", [[], ["soak"], ["watchlist"]])
def test_bootstrap_wins_over_the_engine(brokers: Brokers, command: list[str]) -> None:
    result = bench(*command, "--engine", "kafka", "--bootstrap", "elsewhere:9092")
    assert result.exit_code == 0, result.output
    assert brokers.started == []
    assert brokers.bootstraps == ["elsewhere:9092"]


def test_the_table_and_json_name_the_broker(brokers: Brokers, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = bench("--engine", "kafka", "--json", str(out))
    assert "broker: Apache Kafka 4.x, 1 node" in result.output
    assert orjson.loads(out.read_bytes())["broker"] == {
        "engine": "kafka",
        "version": "4.x",
        "nodes": 1,
    }
    result = bench("soak", "--bootstrap", "elsewhere:9092", "--json", str(out))
    assert "external, elsewhere:9092" in result.output
    assert orjson.loads(out.read_bytes())["broker"]["engine"] == "external"
    assert "12 after warm-up" in result.output


def test_engine_both_runs_the_benchmark_on_each_broker_side_by_side(
    brokers: Brokers, tmp_path: Path
) -> None:
    out = tmp_path / "bench.json"
    result = bench("--engine", "both", "--json", str(out))
    assert result.exit_code == 0, result.output
    assert brokers.started == ["tansu", "kafka"]
    assert brokers.bootstraps == ["tansu:9092", "kafka:9092"]
    header = next(line for line in result.output.splitlines() if line.startswith("figure"))
    assert header.split() == ["figure", "tansu", "kafka", "target"]
    row = next(line for line in result.output.splitlines() if line.startswith("screening /"))
    assert "2.00 x" in row and "3.00 x" in row
    written = orjson.loads(out.read_bytes())
    assert written["engines"] == ["tansu", "kafka"]
    assert written["tansu"]["screening_eps"] == 2000.0
    assert written["kafka"]["screening_eps"] == 3000.0


def test_engine_both_refuses_bootstrap(brokers: Brokers) -> None:
    result = bench("--engine", "both", "--bootstrap", "elsewhere:9092")
    assert result.exit_code == 2
    assert "--bootstrap" in result.output
    assert brokers.started == [] and brokers.bootstraps == []


@pytest.mark.parametrize(
    "args", [["--engine", "redpanda"], ["soak", "--engine", "both"], ["watchlist", "--engine", "x"]]
)
def test_an_unknown_engine_is_a_usage_error(brokers: Brokers, args: list[str]) -> None:
    result = bench(*args)
    assert result.exit_code == 2
    assert "--engine" in result.output
    assert brokers.started == []


def test_an_unknown_engine_is_refused_by_the_broker_starter() -> None:
    with (
        pytest.raises(ValueError, match="redpanda"),
        bench_broker.started_broker("redpanda", Settings.from_env({}), print),
    ):
        pass
