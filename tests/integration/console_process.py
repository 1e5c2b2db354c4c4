"""`screening console` as a child process for the HTTP integration tests, its users added
through `screening console user add`, and the topics' end offsets (to show that a refused
request wrote nothing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from confluent_kafka import Consumer, TopicPartition

from streams.kafka.child_process import die_with_parent
from streams.kafka.embedded_broker import free_port


class ConsoleProcess:
    """The console on a free port with its own SQLite file."""

    def __init__(self, bootstrap: str, tmp: Path, **env: str) -> None:
        self.port = free_port()
        self.db_path = tmp / "console.db"
        self.log_path = tmp / f"console-{uuid.uuid4().hex[:6]}.log"
        self.env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "SCREENING_CONSOLE_DB": f"sqlite:///{self.db_path}",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        """`screening console ARGS` with this console's environment; the finished run."""
        return subprocess.run(
            [sys.executable, "-m", "streams.cli.main", "console", *args],
            input=stdin,
            capture_output=True,
            env=self.env,
            timeout=120,
            check=False,
        )

    def add_user(self, name: str, role: str, member: str | None, password: str) -> str:
        """`screening console user add`; its one line of output."""
        args = ["user", "add", name, "--role", role]
        if member is not None:
            args += ["--member", member]
        done = self.command(*args, stdin=password.encode() + b"\n")
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode().strip()

    def start(self, timeout_s: float = 90.0) -> ConsoleProcess:
        """Start serving and wait until /healthz answers 200 (the view caught up)."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streams.cli.main",
                    "console",
                    "--listen",
                    f"127.0.0.1:{self.port}",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"console not healthy within {timeout_s:.0f}s: {self.log()}")

    def stop(self) -> None:
        """SIGTERM, as an operator stops it; the desk stops with it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def delete_database(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def end_offsets(bootstrap: str, names: list[str]) -> dict[tuple[str, int], int]:
    """(topic, partition) -> end offset of each existing topic of `names`."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "end-offsets"})
    try:
        metadata = consumer.list_topics(timeout=10)
        return {
            (name, p): consumer.get_watermark_offsets(TopicPartition(name, p), timeout=10)[1]
            for name in names
            if name in metadata.topics
            for p in metadata.topics[name].partitions
        }
    finally:
        consumer.close()
