"""`screening bench`'s Quix Streams comparison: the plain passthrough of
`quix_dist/passthrough.py` (decode, add a field, produce), run in Quix Streams' own
virtualenv over the same payments on the same broker as the other phases. Its rate is
taken like the stock Faust agent's, from the first to the last output record timestamp;
its CPU per record is what the passthrough's process used from its first record on.
When the environment cannot be made or the passthrough fails, the figures are None and
`reason` says why in one line."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import orjson

from streams.benchmarks import quix_venv
from streams.benchmarks.bench_config import BenchConfig, Progress
from streams.benchmarks.measure import rate_from_timestamps
from streams.benchmarks.stamps import Stamp, throughput_span
from streams.benchmarks.tail import Tail
from streams.kafka import topics
from streams.kafka.child_process import die_with_parent, terminate
from streams.settings import Settings

QUIX_SINK = "bench.quix"
PASSTHROUGH = Path(__file__).with_name("quix_dist") / "passthrough.py"
GROUP = "bench-quix"
# The longest the comparison waits for the passthrough's outputs.
TIMEOUT_S = 300.0


def unavailable(reason: str) -> dict[str, Any]:
    """The figures of a comparison that could not run, and why."""
    return {"eps": None, "cpu_us_per_record": None, "records": 0, "version": None, "reason": reason}


def run(settings: Settings, config: BenchConfig, work: Path, progress: Progress) -> dict[str, Any]:
    """Pass `config`'s backlog through Quix Streams; its rate (records/s), CPU per record
    (microseconds), how many it passed, its version, the two instants the rate spans and
    `reason` (None when it ran)."""
    try:
        python = quix_venv.ensure_venv(progress)
    except quix_venv.QuixUnavailable as error:
        return unavailable(f"Quix Streams environment unavailable: {error}")
    log = work / "quix.log"
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [
                str(python),
                str(PASSTHROUGH),
                settings.bootstrap_servers,
                GROUP,
                QUIX_SINK,
                str(config.payments),
                str(work / "quix-state"),
                *(topics.payments_topic(m) for m in config.members),
            ],
            stdout=subprocess.PIPE,
            stderr=handle,
            preexec_fn=die_with_parent,
        )
    try:
        stamps = outputs_while_running(settings, process, config.payments)
        # It stops by itself after the last record, once it has flushed and committed.
        stdout = process.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        stdout = b""
    finally:
        terminate(process)
    return figures(stamps, stdout, config.payments, log)


def outputs_while_running(
    settings: Settings, process: subprocess.Popen[bytes], expected: int
) -> dict[bytes, Stamp]:
    """Key -> stamp of the passthrough's outputs, read until `expected` arrived, the
    process ended (then what it flushed is read for a few seconds more) or TIMEOUT_S."""
    found: dict[bytes, Stamp] = {}
    deadline = time.monotonic() + TIMEOUT_S
    with Tail(settings, [QUIX_SINK], from_start=True) as tail:
        while len(found) < expected and time.monotonic() < deadline:
            if process.poll() is not None:
                deadline = min(deadline, time.monotonic() + 3.0)
            for arrival in tail.poll(0.2):
                if arrival.key is not None and arrival.key not in found:
                    found[arrival.key] = arrival.stamp
    return found


def figures(stamps: dict[bytes, Stamp], stdout: bytes, expected: int, log: Path) -> dict[str, Any]:
    """The comparison's figures from the outputs read and the passthrough's report line."""
    lines = [line for line in stdout.splitlines() if line.startswith(b"{")]
    if not lines or len(stamps) < expected:
        tail = log.read_text(errors="replace") if log.exists() else ""
        detail = quix_venv.last_line(tail) if tail.strip() else "no report"
        return unavailable(
            f"the Quix Streams passthrough passed {len(stamps):,} of {expected:,}: {detail}"
        )
    report = orjson.loads(lines[-1])
    records = int(report["records"])
    return {
        "eps": rate_from_timestamps([s.record_ms for s in stamps.values()]),
        "cpu_us_per_record": 1e6 * float(report["cpu_s"]) / max(1, records),
        "records": len(stamps),
        "version": report["version"],
        "spans": throughput_span(
            "passed-through payment", QUIX_SINK, "the Quix Streams producer", stamps.values()
        ),
        "reason": None,
    }
