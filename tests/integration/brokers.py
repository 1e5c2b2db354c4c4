"""The broker the integration tests run on: KAFKA_BOOTSTRAP_SERVERS when set, otherwise
the one SCREENING_TEST_BROKER names (`kafka` where java and mvn are on PATH, else
`tansu`), started with the project's own `screening broker` command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from streams.kafka.child_process import die_with_parent, terminate
from streams.kafka.embedded_broker import free_port, wait_for_port

BROKER_ENV = "SCREENING_TEST_BROKER"
ENGINES = ("kafka", "tansu")
READY_LINE = "broker listening on"
# The first Apache Kafka start on a machine fetches its jars through Maven.
READY_TIMEOUT_S = 300.0
# A stopping cluster stops its JVMs one by one, each within its own 20 s.
STOP_TIMEOUT_S = 60.0


def default_engine() -> str:
    """`kafka` where java and mvn are on PATH, else `tansu`."""
    return "kafka" if shutil.which("java") and shutil.which("mvn") else "tansu"


def chosen_engine(env: Mapping[str, str] = os.environ) -> str:
    """SCREENING_TEST_BROKER, or the default; ValueError for an engine we do not run."""
    engine = env.get(BROKER_ENV, "").strip().lower() or default_engine()
    if engine not in ENGINES:
        raise ValueError(f"{BROKER_ENV}={engine!r}: expected one of {', '.join(ENGINES)}")
    return engine


def why_engine(env: Mapping[str, str] = os.environ) -> str:
    """How the run's broker was chosen, for the pytest header."""
    if env.get("KAFKA_BOOTSTRAP_SERVERS"):
        return f"KAFKA_BOOTSTRAP_SERVERS={env['KAFKA_BOOTSTRAP_SERVERS']}"
    engine = chosen_engine(env)
    if env.get(BROKER_ENV):
        return f"{engine} ({BROKER_ENV}={env[BROKER_ENV]})"
    return f"{engine} (the default {'with' if engine == 'kafka' else 'without'} java and mvn)"


class BrokerCommand:
    """`screening broker --engine ENGINE` on a free local port as a child process; a
    context manager that waits for its "broker listening on" line and stops it with
    SIGTERM (the command stops its JVMs; they also die with it)."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.mkstemp(prefix=f"test-broker-{engine}-", suffix=".log")[1])
        self.ready_line = ""

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def description(self) -> str:
        """What the command said it runs: `Apache Kafka 4.4.0, 1 node, ready in 3.7s`."""
        return self.ready_line.partition(" (")[2].partition(";")[0].rstrip(")")

    def start(self) -> BrokerCommand:
        command = [sys.executable, "-m", "streams.cli.main", "broker", "--engine", self.engine]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [*command, "--listen", self.bootstrap_servers],
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        try:
            self.ready_line = self._wait_ready()
            wait_for_port("127.0.0.1", self.port)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> str:
        assert self.process is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")
            for line in text.splitlines():
                if line.startswith(READY_LINE):
                    return line
            if self.process.poll() is not None:
                raise RuntimeError(f"broker command exited ({self.process.returncode}): {text}")
            time.sleep(0.1)
        raise RuntimeError(f"broker not ready within {READY_TIMEOUT_S:.0f}s: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process, timeout_s=STOP_TIMEOUT_S)
        self.process = None
        self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> BrokerCommand:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
