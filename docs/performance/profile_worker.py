"""How the flame graphs beside this file were taken: a worker draining a backlog, profiled
with py-spy from its first payment to its last decision.

    screening broker --engine kafka --listen 127.0.0.1:19392 --data-dir /tmp/prof-kafka &
    PYTHONPATH=. python docs/performance/profile_worker.py run1 60000 flame.svg flame.txt

Publishes the bench's 100,000-entry watchlist and 60,000 payments of three members (the
members are named after the first argument, so each run has its own), starts one
`screening worker`, attaches `py-spy record --pid` once the worker consumed its first
payment and stops it when every decision is in; prints the decision rate (first to last
decision's timestamp) and the worker's CPU per payment over the same span. A `.svg` output
is a flame graph, a `.txt` one py-spy's raw collapsed stacks (count the boxes with any
script); `SPY=--gil` samples only the thread holding the GIL; `RULES=deploy/rules/default.yaml`
puts a velocity rule file in force first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from streams.benchmarks.backlog import preload_payments, prepare_broker
from streams.benchmarks.bench_config import BenchConfig
from streams.benchmarks.bench_workers import BenchWorker, wait_until_screening, worker_env
from streams.benchmarks.measure import process_stats, rate_from_timestamps
from streams.benchmarks.tail import collect_stamps
from streams.kafka import topics
from streams.kafka.embedded_broker import free_port
from streams.settings import Settings
from streams.velocity.rules_file import load_rules

PY_SPY = str(Path(sys.executable).with_name("py-spy"))


def main(tag: str, count: int, outputs: list[str]) -> None:
    members = tuple(f"{m}-{tag}" for m in ("alpha", "beta", "gamma"))
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19392")
    settings = replace(Settings.from_env(), bootstrap_servers=bootstrap)
    config = BenchConfig(payments=count, watchlist=100_000, members=members)
    rules = load_rules(Path(os.environ["RULES"])) if os.environ.get("RULES") else []
    preload_payments(settings, config, prepare_broker(settings, members, rules, 100_000))
    port = free_port()
    env = worker_env(settings, ",".join(members), Path(f"/tmp/prof-{tag}"), f"prof-{tag}", port)
    with open(f"/tmp/prof-worker-{tag}.log", "ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "streams.cli.main", "worker"],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_until_screening([BenchWorker(worker, port)], 300)
    cpu_before = process_stats(worker.pid)[0]
    spies = [
        subprocess.Popen(
            [PY_SPY, "record", *os.environ.get("SPY", "").split(), "-r", "100"]
            + ["-f", "raw" if out.endswith(".txt") else "flamegraph", "-o", out]
            + ["--pid", str(worker.pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for out in outputs
    ]
    started = time.time()
    decisions = [topics.decisions_topic(m) for m in members]
    stamps = collect_stamps(settings, decisions, count, 600, "screening")
    cpu = process_stats(worker.pid)[0] - cpu_before
    rate = rate_from_timestamps([s.record_ms for s in stamps.values()])
    print(
        f"decided {len(stamps)} at {rate:.0f}/s in {time.time() - started:.1f}s, "
        f"CPU per payment {1000 * cpu / max(1, len(stamps)):.3f} ms"
    )
    for spy in spies:
        spy.send_signal(signal.SIGINT)
    for spy in spies:
        spy.wait(60)
    worker.send_signal(signal.SIGTERM)
    worker.wait(60)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
