"""Child processes the commands start (broker, workers, benchmark agents)."""

from __future__ import annotations

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
