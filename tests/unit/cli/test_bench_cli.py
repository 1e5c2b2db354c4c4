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
from streams.benchmarks.bench_config import BenchConfig
from streams.benchmarks.load_schedule import Load
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


@pytest.fixture
def configs(brokers: Brokers, monkeypatch: pytest.MonkeyPatch) -> list[BenchConfig]:
    """The configuration each `pipeline.run` was given (its result as `brokers` makes it)."""
    seen: list[BenchConfig] = []

    def run_pipeline(settings: Settings, config: BenchConfig, progress: object) -> dict[str, Any]:
        seen.append(config)
        return pipeline_result(2000.0)

    monkeypatch.setattr(pipeline, "run", run_pipeline)
    return seen


def test_by_default_one_and_two_workers_at_the_fixed_rate_and_shares_of_saturation(
    configs: list[BenchConfig],
) -> None:
    assert bench().exit_code == 0
    [config] = configs
    assert config.counts() == (1, 2) and config.workers == 2
    assert config.offered_rate == 2000.0
    assert config.loads == (Load(fraction=0.5), Load(fraction=0.8))
    assert config.quix and config.payments == 60_000


def test_workers_rates_and_quix_choose_what_runs(configs: list[BenchConfig]) -> None:
    result = bench("--workers", "1", "--rates", "3000,90%", "--no-quix")
    assert result.exit_code == 0, result.output
    assert configs[0].counts() == (1,)
    assert configs[0].loads == (Load(rate=3000.0), Load(fraction=0.9))
    assert not configs[0].quix
    assert bench("--rates", "none").exit_code == 0 and configs[1].loads == ()


def test_quick_makes_a_small_run_but_keeps_what_is_given(configs: list[BenchConfig]) -> None:
    assert bench("--quick").exit_code == 0
    assert bench("--quick", "--payments", "5000", "--rate", "100").exit_code == 0
    quick, given = configs
    assert (quick.payments, quick.watchlist, quick.offered_rate, quick.latency_seconds) == (
        1000,
        1000,
        200.0,
        3.0,
    )
    assert (given.payments, given.watchlist, given.offered_rate) == (5000, 1000, 100.0)


@pytest.mark.parametrize(
    ("args", "option"), [(["--rates", "150%"], "--rates"), (["--workers", "0,2"], "--workers")]
)
def test_a_load_or_worker_count_out_of_range_is_a_usage_error(
    configs: list[BenchConfig], args: list[str], option: str
) -> None:
    result = bench(*args)
    assert result.exit_code == 2
    assert option in result.output and "Traceback" not in result.output
    assert configs == []


def test_the_table_shows_quix_and_each_worker_count(
    brokers: Brokers, monkeypatch: pytest.MonkeyPatch
) -> None:
    load = {"load": "2,000/s", "fraction": None, "offered_eps": 2000.0, "offered": 10}
    count = {
        "events": 1000,
        "decided": 1000,
        "screening_eps": 2000.0,
        "cpu_ms_per_payment": 0.1,
        "cpu_vs_one_worker": 1.0,
        "vs_faust": 2.0,
        "vs_raw_ceiling": 0.2,
        "vs_quix": None,
        "peak_memory_mb": 100.0,
        "loads": [{**load, "decided": 10, "latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 3.0}}],
    }
    result = {
        **pipeline_result(2000.0),
        "screening_vs_raw_ceiling": 0.2,
        "quix_eps": None,
        "quix_unavailable_reason": "Quix Streams environment unavailable: no network",
        "scale": [{**count, "workers": 1}, {**count, "workers": 2, "cpu_vs_one_worker": 1.1}],
    }
    monkeypatch.setattr(pipeline, "run", lambda settings, config, progress: result)
    output = bench().output
    assert "Quix Streams environment unavailable: no network" in output
    assert "screening / raw client" in output and "0.200" in output
    header = next(line for line in output.splitlines() if line.strip().startswith("1 worker"))
    assert header.split() == ["1", "worker", "2", "workers", "target"]
    assert "2,000/s: 1 / 2 / 3 ms" in output and "1.10 x" in output
