"""A plain Quix Streams passthrough, the pipeline a user would write in that library: decode
each payment's JSON, add a field, produce it to OUTPUT (the key kept). Quix Streams'
defaults (at-least-once, 5 s commits, its JSON serialisers) but for reading from the
earliest offset and a state directory of the bench's.

Runs in the Quix Streams virtualenv (`streams.benchmarks.quix_venv`), not the project's,
so it imports nothing of `streams`; shipped as package data, run by path:
`python passthrough.py BOOTSTRAP GROUP OUTPUT COUNT STATE_DIR INPUT...`. Stops after
COUNT records (or 30 s without one) and prints one JSON line: the records it passed, the
process CPU seconds from the first record to the end (flush and commit included) and
the Quix Streams version."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

FIELD = "passed_by"
# Stop when no record arrives for this long (after the group has joined).
IDLE_STOP_S = 30.0


class CpuFromFirst:
    """Counts records, and the process's CPU time (every thread) from the first one."""

    def __init__(self) -> None:
        self.records = 0
        self.started: float | None = None

    def mark(self) -> None:
        """One record seen."""
        if self.started is None:
            self.started = time.process_time()
        self.records += 1

    def seconds(self) -> float:
        """CPU seconds since the first record, 0 before it."""
        return 0.0 if self.started is None else time.process_time() - self.started


def passed_through(value: dict[str, Any]) -> dict[str, Any]:
    """The decoded payment with the passthrough's field added."""
    value[FIELD] = "quixstreams"
    return value


def report(clock: CpuFromFirst, version: str) -> str:
    """The line the bench reads back."""
    return json.dumps({"records": clock.records, "cpu_s": clock.seconds(), "version": version})


def main(argv: list[str]) -> None:
    """Run the passthrough over the inputs of `argv` (see the module's docstring)."""
    import quixstreams
    from quixstreams import Application

    bootstrap, group, output, count, state_dir, *inputs = argv
    app = Application(
        broker_address=bootstrap,
        consumer_group=group,
        auto_offset_reset="earliest",
        state_dir=state_dir,
        loglevel="WARNING",
    )
    clock = CpuFromFirst()

    def step(value: dict[str, Any]) -> dict[str, Any]:
        clock.mark()
        return passed_through(value)

    out = app.topic(output, value_serializer="json")
    for name in inputs:
        app.dataframe(app.topic(name, value_deserializer="json")).apply(step).to_topic(out)
    app.run(count=int(count), timeout=IDLE_STOP_S, collect=False)
    print(report(clock, quixstreams.__version__), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
