"""The virtualenv `screening bench` runs Quix Streams in. Quix Streams pins versions of
confluent-kafka and others that clash with the project's, so it gets an environment of
its own: created on first use under `$SCREENING_QUIX_VENV` (default
`~/.cache/screening/quix-venv`) with pip from PyPI, announced by a progress line, reused
after. A failure (no network, no `venv` module) is a `QuixUnavailable` whose message is
one line saying why; the bench reports it and carries on without Quix."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

QUIX_PIN = "quixstreams==3.28.1"
VENV_ENV = "SCREENING_QUIX_VENV"
# Written last, holding the pin: a directory without it is a half-made environment.
READY = "screening-ready"
# A first install downloads ~40 MB of wheels; 20 s here, minutes on a slow link.
INSTALL_TIMEOUT_S = 600.0


class QuixUnavailable(Exception):
    """Quix Streams cannot run here; the message says why, in one line."""


def venv_dir(env: dict[str, str] | None = None) -> Path:
    """Where the environment lives: `$SCREENING_QUIX_VENV`, else under ~/.cache/screening."""
    env = dict(os.environ) if env is None else env
    return Path(env.get(VENV_ENV) or Path.home() / ".cache" / "screening" / "quix-venv")


def venv_python(root: Path) -> Path:
    """The environment's interpreter."""
    return root / "bin" / "python"


def is_ready(root: Path, pin: str = QUIX_PIN) -> bool:
    """Whether `root` holds a finished environment with `pin` installed."""
    marker = root / READY
    return marker.exists() and marker.read_text().strip() == pin and venv_python(root).exists()


def ensure_venv(
    progress: Callable[[str], None], root: Path | None = None, pin: str = QUIX_PIN
) -> Path:
    """The interpreter of a ready environment with `pin`, made first if need be (one
    process at a time: others wait on a lock and reuse it). QuixUnavailable if it
    cannot be made."""
    root = venv_dir() if root is None else root
    if is_ready(root, pin):
        return venv_python(root)
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        with (root.parent / f"{root.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not is_ready(root, pin):
                create(root, pin, progress)
    except OSError as error:
        raise QuixUnavailable(f"cannot create {root}: {error}") from error
    return venv_python(root)


def create(root: Path, pin: str, progress: Callable[[str], None]) -> None:
    """Make the environment at `root` afresh and install `pin` into it."""
    progress(f"creating the Quix Streams environment ({pin}) in {root} (first use only) ...")
    started = time.monotonic()
    shutil.rmtree(root, ignore_errors=True)
    run_step([sys.executable, "-m", "venv", str(root)], f"python -m venv {root}")
    run_step(
        [
            str(venv_python(root)),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            "--retries",
            "1",
            "--timeout",
            "15",
            pin,
        ],
        f"pip install {pin}",
    )
    (root / READY).write_text(pin + "\n")
    progress(f"Quix Streams environment ready in {time.monotonic() - started:.0f}s")


def run_step(command: list[str], what: str) -> None:
    """Run one step of making the environment; QuixUnavailable, quoting the last line it
    printed, if it fails or takes longer than INSTALL_TIMEOUT_S."""
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=INSTALL_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as error:
        raise QuixUnavailable(f"{what} took over {INSTALL_TIMEOUT_S:.0f}s") from error
    if result.returncode != 0:
        raise QuixUnavailable(f"{what} failed: {last_line(result.stdout + result.stderr)}")


def last_line(output: str) -> str:
    """The last error line of a tool's output (else its last line), shortened to fit one
    line of the table."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    line = (errors or lines or ["no output"])[-1]
    return line if len(line) <= 160 else line[:157] + "..."
