"""Child processes of a benchmark: screening workers in one consumer group, and when
they start screening (read from their metrics page)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from streams.benchmarks.bench_config import BenchConfig
from streams.kafka.child_process import die_with_parent
from streams.kafka.embedded_broker import free_port
from streams.ops.metrics_scrape import StatusError, scrape
from streams.settings import Settings

CONSUMED_METRIC = "screening_payments_consumed_total"
ASSIGNED_METRIC = "screening_consumer_assigned_partitions"
# How often the benchmark asks a starting worker whether it consumed a payment yet.
SCREENING_POLL_S = 0.02


def start_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A child process logging to `log`."""
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, *args],
            env={**os.environ, **env},
            stdout=handle,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )


@dataclass(frozen=True)
class BenchWorker:
    """A screening worker the benchmark started, and the port of its metrics page."""

    process: subprocess.Popen[bytes]
    web_port: int

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self.process.pid


def start_workers(
    settings: Settings, config: BenchConfig, work: Path, app_id: str = "bench-screening"
) -> list[BenchWorker]:
    """`config.workers` screening workers in one consumer group, `app_id`."""
    workers = []
    for i in range(config.workers):
        port = free_port()
        # A state directory per group: a worker that found another run's watchlist snapshot
        # started seconds before its fellow, which then joined the group (a rebalance)
        # inside the phase being measured.
        data_dir = work / f"{app_id}-worker-{i}"
        env = worker_env(settings, ",".join(config.members), data_dir, app_id, port)
        process = start_process(
            ["-m", "streams.cli.main", "worker"], env, work / f"{app_id}-{i}.log"
        )
        workers.append(BenchWorker(process, port))
    return workers


def worker_env(
    settings: Settings, members: str, data_dir: Path, app_id: str, port: int | None = None
) -> dict[str, str]:
    """What a benchmark's `screening worker` needs in its environment: the broker, the
    members it serves (comma-separated), its group, state directory and metrics port (a
    free one unless given)."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "SCREENING_MEMBERS": members,
        "SCREENING_APP_ID": app_id,
        "SCREENING_DATA_DIR": str(data_dir),
        "SCREENING_WEB_PORT": str(port if port is not None else free_port()),
    }


def metric_value(worker: BenchWorker, name: str) -> float:
    """A worker's metric `name` from its metrics page, 0 while the page does not answer."""
    try:
        return scrape(f"http://127.0.0.1:{worker.web_port}/metrics", 2.0).value(name)
    except StatusError:
        return 0.0


def payments_consumed(worker: BenchWorker) -> float:
    """The payments a worker consumed (its `screening_payments_consumed_total`)."""
    return metric_value(worker, CONSUMED_METRIC)


def assigned_partitions(worker: BenchWorker) -> float:
    """The payments partitions assigned to a worker (its
    `screening_consumer_assigned_partitions`)."""
    return metric_value(worker, ASSIGNED_METRIC)


def wait_until_all_assigned(workers: list[BenchWorker], timeout_s: float) -> None:
    """Return once every worker has payments partitions: the group holds all of them, so
    a load offered now is not paused by one of them joining (a rebalance)."""
    deadline = time.monotonic() + timeout_s
    while not all(assigned_partitions(w) > 0 for w in workers):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not every worker was assigned partitions within {timeout_s:.0f}s")
        time.sleep(SCREENING_POLL_S)


def wait_until_screening(workers: list[BenchWorker], timeout_s: float) -> None:
    """Return once a worker consumed its first payment."""
    deadline = time.monotonic() + timeout_s
    while not any(payments_consumed(w) > 0 for w in workers):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no worker consumed a payment within {timeout_s:.0f}s")
        time.sleep(SCREENING_POLL_S)
