"""Child processes the commands start (broker, workers, benchmark agents)."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess


def terminate(process: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    """SIGTERM (a worker drains and commits), then SIGKILL after `timeout_s`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def die_with_parent() -> None:
    """A `preexec_fn`: the child gets SIGTERM when the process that started it dies, so
    that a command killed with SIGKILL (or a benchmark a test timed out) leaves no orphan
    broker or worker behind (Linux; elsewhere nothing happens)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
