"""How long a real `screening worker` takes to become ready against a large watchlist, and
its peak memory on the way.

The bench spawns the worker, then at once sends one payment to a listed payee. A worker
screens nothing until its watchlist replica has caught up with the topic, so the first
decision of that payment marks readiness. The figure spans two instants on the same
clock: the bench's wall clock just before it spawns the worker, and the timestamp of the
worker's decision record on `decisions.<member>` (set when the worker produced it)."""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from streams.benchmarks.bench_workers import start_process
from streams.benchmarks.process_peak import tree_peak
from streams.kafka import topics
from streams.kafka.child_process import terminate
from streams.kafka.client import Record, produce_all, producer, read
from streams.offline import synthetic
from streams.settings import Settings

WORKER = "screening worker"
READY_SPAN = (
    "bench wall clock just before spawning `screening worker` -> timestamp of the worker's "
    "decision record on decisions.<member> for a payment to a listed payee sent right "
    "after the spawn"
)
# Lines of the worker's log (`--loglevel info`) that split the start: the consumer group
# joined and tables recovered (Faust's "Worker: Ready"), the watchlist snapshot read (a
# restart), the watchlist replica caught up, and a snapshot written.
MILESTONES = {
    "group_ready_s": "[^Worker]: Ready",
    "snapshot_read_s": "records read in",
    "watchlist_caught_up_s": "replica of watchlist caught up",
}
LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\]")
# Longest wait for the first decision; a 1,000,000-entry first start took about 90 s.
READY_TIMEOUT_S = 1200.0
STOP_AFTER_TIMEOUT_S = 300.0


def listed_payment(member: str, entry: dict[str, Any], seed: int) -> dict[str, Any]:
    """One payment of `member` to a payee carrying an identifier of `entry`."""
    return next(synthetic.payments([member], 1, [entry], hit_ratio=1.0, seed=seed))


def check_decision(value: bytes | None, entry_id: str) -> str:
    """The decision of a decision record; ValueError unless it names `entry_id` as a
    watchlist match (a decision without it was not made against the full list)."""
    decision = orjson.loads(value or b"{}")
    matched = {r.get("entry_id") for r in decision.get("reasons", [])}
    if entry_id not in matched:
        raise ValueError(f"the decision does not name listed entry {entry_id}: {decision}")
    return str(decision["decision"])


def ready_figures(spawned_at: float, decided_ms: int, seen_at: float) -> dict[str, float]:
    """Seconds from the spawn (wall clock, s) to the decision's record timestamp (ms),
    and to the moment the bench read that record."""
    return {"ready_s": decided_ms / 1000 - spawned_at, "decision_read_s": seen_at - spawned_at}


def log_milestones(log: str, spawned_at: float) -> dict[str, float]:
    """Seconds from the spawn (wall clock, s) to the first log line of each milestone
    (the log's times are local wall-clock times to the millisecond); missing ones left out."""
    found: dict[str, float] = {}
    for line in log.splitlines():
        stamp = LOG_TIME.match(line)
        for name, text in MILESTONES.items():
            if stamp and name not in found and text in line:
                at = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                found[name] = at - spawned_at
    return found


def start_to_ready(
    settings: Settings,
    env: dict[str, str],
    entry: dict[str, Any],
    seed: int,
    log: Path,
    stop_after: str | None = None,
) -> dict[str, Any]:
    """Start a worker with `env`, send it a payment to `entry`'s payee and wait for its
    decision; the ready figures, when the worker's log says its group joined and its
    watchlist caught up, the decision and the worker's peak memory. The worker is
    stopped (SIGTERM: it drains and commits) before this returns; after its log shows
    `stop_after`, when given (at most STOP_AFTER_TIMEOUT_S later)."""
    member = env["SCREENING_MEMBERS"]
    payment = listed_payment(member, entry, seed)
    txn_id = payment["txn_id"].encode()
    out = producer(settings, **{"linger.ms": 0})
    spawned_at = time.time()
    process = start_process(["-m", "streams.cli.main", "worker", "--loglevel", "info"], env, log)
    try:
        produce_all(out, topics.payments_topic(member), [(txn_id, orjson.dumps(payment))])

        def decided(records: list[Record]) -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"the worker exited ({process.returncode}); see {log}")
            return any(r.key == txn_id for r in records)

        found = [
            r
            for r in read(
                settings,
                [topics.decisions_topic(member)],
                idle_timeout_s=READY_TIMEOUT_S,
                total_timeout_s=READY_TIMEOUT_S,
                until=decided,
            )
            if r.key == txn_id
        ]
        seen_at = time.time()
        if not found:
            raise TimeoutError(f"no decision within {READY_TIMEOUT_S:.0f}s; see {log}")
        memory = tree_peak(process.pid, WORKER)
        waited = wait_for_line(log, stop_after) if stop_after else None
    finally:
        terminate(process)
    return {
        **ready_figures(spawned_at, found[0].timestamp_ms, seen_at),
        "ready_span": READY_SPAN,
        "worker_log": log_milestones(log.read_text(errors="replace"), spawned_at),
        "decision": check_decision(found[0].value, entry["entry_id"]),
        **memory,
        **({} if waited is None else {"stopped_after_s": waited, "stopped_after": stop_after}),
    }


def wait_for_line(log: Path, text: str) -> float | None:
    """Seconds until the log holds `text`; None if it did not within STOP_AFTER_TIMEOUT_S."""
    started = time.monotonic()
    while time.monotonic() - started < STOP_AFTER_TIMEOUT_S:
        if text in log.read_text(errors="replace"):
            return time.monotonic() - started
        time.sleep(0.5)
    return None
