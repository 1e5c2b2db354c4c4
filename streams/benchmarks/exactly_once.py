"""What exactly-once costs on the decision path and whether it holds, on Apache Kafka:
the loop of `streams.benchmarks.transactions` at least once and in transactions, same
broker, same run: throughput over a backlog, latency at a steady rate (payment handed to
the producer -> decision read by a read_committed consumer), and duplicates after a
SIGKILL of the loop mid-stream, as a read_committed and a read_uncommitted reader see
them. `python -m streams.benchmarks.exactly_once [BACKLOG] [RATE]` prints the table."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass

from streams.benchmarks.transactions import (
    AT_LEAST_ONCE,
    COMMIT_INTERVAL_S,
    EXACTLY_ONCE,
    HELD,
    HOLD_ARG,
    Loop,
    decisions_seen,
    feed,
)
from streams.kafka import admin
from streams.kafka.kafka_cluster import KafkaCluster
from streams.settings import Settings

# How long the kill check's payments take to arrive (2,000/s for its 20,000): the loop is
# killed mid-stream, with payments still arriving.
KILL_FEED_S = 10.0

MODES = (AT_LEAST_ONCE, EXACTLY_ONCE)


@dataclass(frozen=True)
class KillResult:
    """After a SIGKILL mid-stream and a restart: payments, distinct decisions, the
    decision records beyond one per payment each reader saw, and the batch the kill
    left uncommitted."""

    payments: int
    decided: int
    duplicates_committed: int
    duplicates_uncommitted: int
    # payments whose decisions were in the log, uncommitted, when the loop was killed
    open_at_kill: int


def new_member(settings: Settings, tag: str) -> str:
    """A member of its own with its payments and decisions topics."""
    member = f"{tag}-{uuid.uuid4().hex[:6]}"
    admin.ensure_member_topics(admin.wait_for_broker(settings), settings, [member])
    return member


def running_loop(bootstrap: str, member: str, mode: str) -> tuple[Loop, threading.Thread]:
    """A loop in a thread of this process, until idle for 10 s."""
    loop = Loop(bootstrap, member, f"eos-{member}", mode, COMMIT_INTERVAL_S[mode])
    thread = threading.Thread(target=loop.run, kwargs={"idle_stop_s": 10.0}, daemon=True)
    thread.start()
    return loop, thread


def throughput(bootstrap: str, mode: str, count: int) -> float:
    """Payments decided per second over a backlog of `count`, first to last decision a
    read_committed reader sees (group join excluded)."""
    settings = Settings(bootstrap_servers=bootstrap)
    member = new_member(settings, f"tput-{mode.split('_')[0]}")
    feed(bootstrap, member, count, None, seed=1)
    seen: set[str] = set()
    stamps: list[float] = []

    def on_record(txn: str) -> None:
        if not stamps:
            stamps.append(time.monotonic())
        seen.add(txn)

    _, thread = running_loop(bootstrap, member, mode)
    decisions_seen(bootstrap, member, "read_committed", on_record, lambda: len(seen) >= count)
    elapsed = time.monotonic() - stamps[0]
    thread.join(timeout=30)
    return count / elapsed


def latency(bootstrap: str, mode: str, rate: float, seconds: float) -> list[float]:
    """Milliseconds from each payment handed to the producer to its decision read by a
    read_committed consumer, at `rate` payments per second for `seconds`."""
    settings = Settings(bootstrap_servers=bootstrap)
    member = new_member(settings, f"lat-{mode.split('_')[0]}")
    count = int(rate * seconds)
    feed(bootstrap, member, 10, None, seed=2)  # the loop's group joined before timing
    _, thread = running_loop(bootstrap, member, mode)
    seen: dict[str, float] = {}
    sent: dict[str, float] = {}
    decisions_thread = threading.Thread(
        target=decisions_seen,
        args=(bootstrap, member, "read_committed", lambda t: seen.setdefault(t, time.time())),
        kwargs={"until": lambda: len(seen) >= count + 10},
        daemon=True,
    )
    decisions_thread.start()
    ready = time.monotonic() + 60
    while len(seen) < 10 and time.monotonic() < ready:  # the loop and reader are running
        time.sleep(0.05)
    sent = feed(bootstrap, member, count, rate, seed=3)
    decisions_thread.join(timeout=120)
    thread.join(timeout=30)
    return sorted((seen[t] - at) * 1000.0 for t, at in sent.items() if t in seen)


def kill_check(bootstrap: str, mode: str, count: int = 20_000) -> KillResult:
    """The loop as a child process, SIGKILLed inside an open transaction once a quarter
    of `count` payments are decided, and started again; the duplicates each reader sees
    once all are decided. The kill lands by design, not by timing: the child reports
    each batch once its decisions are in the log and waits for a go-ahead before
    committing it (`hold`); the first batch reported past a quarter is killed there, its
    transaction open with its decisions written (a timed kill once landed during a
    commit, or after everything was committed, and proved nothing). The payments arrive
    over `KILL_FEED_S` seconds, so the loop is killed mid-stream."""
    settings = Settings(bootstrap_servers=bootstrap)
    member = new_member(settings, f"kill-{mode.split('_')[0]}")
    feeder = threading.Thread(
        target=feed, args=(bootstrap, member, count, count / KILL_FEED_S, 4), daemon=True
    )
    feeder.start()
    command = [sys.executable, "-m", "streams.benchmarks.transactions", "loop"]
    command += [bootstrap, member, f"eos-{member}", mode]
    uncommitted: Counter[str] = Counter()
    done = threading.Event()
    reader = threading.Thread(
        target=decisions_seen,
        args=(
            bootstrap,
            member,
            "read_uncommitted",
            lambda t: uncommitted.update((t,)),
            done.is_set,
        ),
        daemon=True,
    )
    reader.start()
    with subprocess.Popen(
        [*command, HOLD_ARG], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as held:
        open_at_kill = kill_held(held, count // 4)
    feeder.join()
    child = subprocess.Popen(command)
    committed: Counter[str] = Counter()
    try:
        decisions_seen_all(bootstrap, member, committed, count)
    finally:
        child.terminate()
        child.wait()
        done.set()
        reader.join(timeout=10)
    return KillResult(
        count,
        len(committed),
        sum(committed.values()) - len(committed),
        sum(uncommitted.values()) - len(uncommitted),
        open_at_kill,
    )


def kill_held(child: subprocess.Popen[str], decided: int, timeout_s: float = 120.0) -> int:
    """Let a `hold` loop commit its batches until one is reported with at least `decided`
    payments decided in all, then SIGKILL it while it holds that batch uncommitted; the
    payments in that batch."""
    assert child.stdin is not None and child.stdout is not None
    timer = threading.Timer(timeout_s, child.kill)  # a loop that never gets there
    timer.start()
    try:
        for line in child.stdout:
            words = line.split()
            if len(words) != 3 or words[0] != HELD:
                continue  # anything else the loop prints
            in_batch, decided_all = int(words[1]), int(words[2])
            if decided_all >= decided:
                child.send_signal(signal.SIGKILL)
                child.wait()
                return in_batch
            child.stdin.write("go\n")
            child.stdin.flush()
    finally:
        timer.cancel()
    child.wait()
    raise RuntimeError(f"the loop ended (rc {child.returncode}) before {decided} were decided")


def decisions_seen_all(bootstrap: str, member: str, into: Counter[str], count: int) -> None:
    """Every decision record a read_committed reader sees from the beginning, into `into`
    (reads until it has `count` distinct and 2 s more)."""
    quiet_until: list[float] = []

    def until() -> bool:
        if len(into) < count:
            return False
        if not quiet_until:
            quiet_until.append(time.monotonic() + 2.0)
        return time.monotonic() >= quiet_until[0]

    decisions_seen(bootstrap, member, "read_committed", lambda t: into.update((t,)), until)


def percentile(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def main(argv: list[str]) -> None:
    backlog = int(argv[0]) if argv else 30_000
    rate = float(argv[1]) if len(argv) > 1 else 500.0
    with KafkaCluster(nodes=1) as cluster:
        bootstrap = cluster.bootstrap_servers
        print(f"Apache Kafka, 1 node, {bootstrap}; backlog {backlog}, steady {rate:.0f}/s")
        for mode in MODES:
            rate_done = throughput(bootstrap, mode, backlog)
            lat = latency(bootstrap, mode, rate, 20.0)
            print(
                f"{mode:14} commit every {COMMIT_INTERVAL_S[mode] * 1000:.0f} ms: "
                f"{rate_done:,.0f} payments/s; latency p50 {percentile(lat, 0.5):.0f} "
                f"p95 {percentile(lat, 0.95):.0f} p99 {percentile(lat, 0.99):.0f} ms "
                f"({len(lat)} decided)"
            )
        for mode in MODES:
            print(f"{mode:14} SIGKILL mid-stream: {kill_check(bootstrap, mode)}")


if __name__ == "__main__":
    main(sys.argv[1:])
