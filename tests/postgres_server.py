"""A throwaway PostgreSQL server for tests of the console's `postgresql://` database: a
fresh cluster in a temporary directory on a free loopback port, stopped and removed on exit.
Debian's server binaries are used (package `postgresql`, installed by
deploy/dev/install-test-tools.sh); PostgreSQL refuses to run as root, so as root the
cluster is run as the `postgres` user the package creates."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

USER = "screening"
# Trust on loopback and no fsync: a throwaway cluster for tests, not a server to keep.
INITDB_OPTIONS = ("-A", "trust", "-U", USER, "--no-sync", "-E", "UTF8")
SERVER_OPTIONS = ("-c", "listen_addresses=127.0.0.1", "-c", "fsync=off")


def server_binaries() -> Path | None:
    """The directory of Debian's newest PostgreSQL server binaries, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@contextmanager
def postgres_server(timeout_s: float = 30.0) -> Iterator[str]:
    """Start a fresh cluster; yields its `postgresql://` URL (database `postgres`)."""
    binaries = server_binaries()
    if binaries is None:
        raise RuntimeError("no PostgreSQL server binaries (Debian: apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="screening-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data = root / "data"
    port = _free_port()
    subprocess.run(
        [*_as_server_user(), str(binaries / "initdb"), "-D", str(data), *INITDB_OPTIONS],
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [
            *_as_server_user(),
            str(binaries / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(root),
            *SERVER_OPTIONS,
        ],
        stdout=subprocess.DEVNULL,
        stderr=(root / "server.log").open("wb"),
    )
    url = f"postgresql://{USER}@127.0.0.1:{port}/postgres"
    try:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with engine.connect():
                    break
            except sa.exc.OperationalError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log = (root / "server.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"PostgreSQL did not start: {log}") from None
                time.sleep(0.1)
        engine.dispose()
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(root, ignore_errors=True)
