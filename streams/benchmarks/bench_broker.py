"""The broker a benchmark runs against: one given by address (`--bootstrap`), or one the
benchmark starts for itself and stops after: the embedded broker (Tansu, memory storage)
or a one-node Apache Kafka (KRaft, log in a temporary directory)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from streams.benchmarks.bench_config import Progress
from streams.settings import Settings

ENGINES = ("tansu", "kafka")

Benchmark = Callable[[Settings], dict[str, Any]]


@contextmanager
def started_broker(
    engine: str, settings: Settings, progress: Progress
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Start a broker of `engine` (one of ENGINES) for the length of the block; yields its
    bootstrap servers and what it is (engine, version, nodes), and stops it after."""
    if engine == "tansu":
        from streams.kafka.embedded_broker import EmbeddedBroker

        with EmbeddedBroker(binary=settings.broker_bin) as broker:
            yield broker.bootstrap_servers, {"engine": "tansu", "storage": "memory", "nodes": 1}
    elif engine == "kafka":
        from streams.kafka.kafka_cluster import KafkaCluster
        from streams.kafka.kafka_runtime import kafka_version

        with KafkaCluster(nodes=1, progress=progress) as cluster:
            progress(f"Apache Kafka {kafka_version()} on {cluster.bootstrap_servers}")
            yield (
                cluster.bootstrap_servers,
                {
                    "engine": "kafka",
                    "version": kafka_version(),
                    "storage": "log on disk (temporary directory)",
                    "nodes": 1,
                },
            )
    else:
        raise ValueError(f"unknown broker engine {engine!r}; one of {', '.join(ENGINES)}")


def run_on_broker(
    settings: Settings,
    engine: str,
    bootstrap: str | None,
    benchmark: Benchmark,
    progress: Progress,
) -> dict[str, Any]:
    """Run `benchmark` against `bootstrap` when given (whatever `engine` says), else against
    a broker of `engine` started for it; the results carry which broker (`broker`)."""
    if bootstrap:
        result = benchmark(replace(settings, bootstrap_servers=bootstrap))
        return {**result, "broker": {"engine": "external", "bootstrap": bootstrap}}
    with started_broker(engine, settings, progress) as (servers, described):
        result = benchmark(replace(settings, bootstrap_servers=servers))
    return {**result, "broker": described}
