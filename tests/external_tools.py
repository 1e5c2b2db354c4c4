"""The external programs a test run called (promtool, docker-compose), with their
versions and the tests that called them, and the broker the integration tests ran on, for
the run's closing summary."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field


@dataclass
class ToolUse:
    """One program: its `--version` first line and the node ids of the tests that ran it."""

    version: str
    tests: list[str] = field(default_factory=list)


USED: dict[str, ToolUse] = {}
# The session's broker as it announced itself, and how many fresh ones single tests had.
BROKER: dict[str, str | int] = {}


def record(program: str) -> None:
    """Note that the current test runs `program` (found on PATH); asks its version once."""
    if program not in USED:
        result = subprocess.run([program, "--version"], capture_output=True, text=True, check=False)
        lines = (result.stdout or result.stderr).strip().splitlines()
        USED[program] = ToolUse(lines[0] if lines else "version unknown")
    current = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
    if current and current not in USED[program].tests:
        USED[program].tests.append(current)


def record_broker(description: str, fresh: bool = False) -> None:
    """Note the session's broker (`description`), or one more fresh broker of a test's own."""
    if fresh:
        BROKER["fresh"] = int(BROKER.get("fresh", 0)) + 1
    else:
        BROKER["session"] = description


def broker_line() -> list[str]:
    """The integration broker's line, when integration tests ran."""
    if not BROKER:
        return []
    fresh = int(BROKER.get("fresh", 0))
    more = f"; plus {fresh} fresh broker{'s' * (fresh != 1)} for single tests" if fresh else ""
    return [f"integration broker: {BROKER.get('session', 'none for the session')}{more}"]


def summary_lines() -> list[str]:
    """The integration broker, then one line per program used: its version and how many
    tests ran it."""
    return broker_line() + [
        f"{program}: {use.version} (run by {len(use.tests)} tests: "
        f"{', '.join(test.rsplit('::', 1)[-1] for test in use.tests)})"
        for program, use in sorted(USED.items())
    ]
