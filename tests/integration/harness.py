"""Driving the screening engine on a real broker from tests: the CLI and the worker as
child processes, a collector of what topics hold, producing records and preparing a
member's topics and watchlist."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from streams.kafka.child_process import die_with_parent
from streams.kafka.embedded_broker import free_port
from streams.settings import Settings


def screening(*args: str, bootstrap: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """`screening ARGS` as a user runs it against `bootstrap`; the finished run."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    return subprocess.run(
        [sys.executable, "-m", "streams.cli.main", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def unique(prefix: str) -> str:
    """A member id, entry id or group unique to one test."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def txn_tag(letter: str = "t") -> str:
    """A tag for the transaction ids of one test: eight hex digits then `letter`, so that a
    tag and a counter never run thirteen digits together, which reads as a card number
    and is masked in the decision's key (a tag of eight digits did, once in forty)."""
    return f"{uuid.uuid4().hex[:8]}{letter}"


class WorkerProcess:
    """`screening worker` as a child process, as users run it."""

    def __init__(self, bootstrap: str, tmp: Path, members: list[str] | None, **env: str) -> None:
        self.log_path = tmp / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.web_port = free_port()
        self.env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "SCREENING_APP_ID": unique("screening-test"),
            "SCREENING_WEB_PORT": str(self.web_port),
            "SCREENING_DATA_DIR": str(tmp / "state"),
            "SCREENING_DISCOVERY_INTERVAL": "2",
            **env,
        }
        if members is not None:
            self.env["SCREENING_MEMBERS"] = ",".join(members)
        else:
            self.env.pop("SCREENING_MEMBERS", None)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streams.cli.main", "worker", "--loglevel", "info"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def assert_alive(self) -> None:
        assert self.process is not None and self.process.poll() is None, self.log()


def wait_until(predicate: object, timeout_s: float, interval_s: float = 0.2) -> bool:
    """Poll `predicate()` until true or timeout; returns the last result."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(interval_s)
    return bool(predicate())  # type: ignore[operator]


class Collector:
    """Follows topics from the beginning (by assignment, no group) and keeps every record."""

    def __init__(self, settings: Settings, topic_names: list[str]) -> None:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        self.consumer = Consumer(
            {
                "bootstrap.servers": settings.bootstrap_servers,
                "group.id": unique("collector"),
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 50,
            }
        )
        metadata = self.consumer.list_topics(timeout=10)
        self.consumer.assign(
            [
                TopicPartition(name, p, OFFSET_BEGINNING)
                for name in topic_names
                for p in metadata.topics[name].partitions
            ]
        )
        self.records: list[dict[str, object]] = []

    def poll(self, seconds: float = 0.3) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in self.consumer.consume(num_messages=1000, timeout=0.1):
                if message.error() is None:
                    self.records.append(
                        {
                            "topic": message.topic(),
                            "partition": message.partition(),
                            "offset": message.offset(),
                            "key": message.key(),
                            "value": message.value(),
                            "headers": dict(message.headers() or []),
                        }
                    )

    def until(self, predicate: object, timeout_s: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.poll()
            if predicate(self.records):  # type: ignore[operator]
                return True
        return False

    def close(self) -> None:
        self.consumer.close()


def produce(
    settings: Settings, topic: str, records: list[tuple[bytes | None, bytes | None]]
) -> list[int]:
    """Produce in order to one topic; returns each record's offset."""
    from confluent_kafka import Producer

    offsets: list[int] = [-1] * len(records)
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers, "linger.ms": 1})

    def delivered(index: int):  # type: ignore[no-untyped-def]
        def callback(err, msg):  # type: ignore[no-untyped-def]
            assert err is None, err
            offsets[index] = msg.offset()

        return callback

    for i, (key, value) in enumerate(records):
        producer.produce(topic, value=value, key=key, on_delivery=delivered(i))
    assert producer.flush(30) == 0
    return offsets


def prepare_members(
    settings: Settings, members: list[str], entries: Sequence[Mapping[str, object]] = ()
) -> None:
    """Create the core topics and the members' topics, then list the entries."""
    from streams.kafka import admin

    client = admin.wait_for_broker(settings, timeout_s=60)
    admin.ensure_core_topics(client, settings)
    admin.ensure_member_topics(client, settings, members)
    if entries:
        publish_entries(settings, entries)


def publish_entries(settings: Settings, entries: Sequence[Mapping[str, object]]) -> None:
    """List the entries: each on the watchlist topic, keyed by its entry_id."""
    from streams.kafka import topics
    from streams.watchlist.entry import encode_entry

    produce(
        settings,
        topics.WATCHLIST,
        [(str(e["entry_id"]).encode(), encode_entry(e)) for e in entries],
    )


def start_worker_with_entries(
    bootstrap: str, members: list[str], entries: list[dict[str, object]], tmp: Path
) -> WorkerProcess:
    """Create the members' topics, list the entries, then start a worker: listed before
    it starts, because a worker screens only once its watchlist replica caught up."""
    prepare_members(Settings(bootstrap_servers=bootstrap), members, entries)
    return WorkerProcess(bootstrap, tmp, members).start()
