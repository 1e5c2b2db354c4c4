"""What a screening benchmark run measures: sizes, members, worker counts, the paced loads
and the Quix Streams comparison."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from streams.benchmarks.load_schedule import Load
from streams.velocity.rule import VelocityRule

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BenchConfig:
    """What to run: sizes, members, workers (the largest count, whose figures are the
    headline), the other worker counts measured, the paced loads and whether to compare
    with Quix Streams."""

    payments: int = 60_000
    watchlist: int = 100_000
    members: tuple[str, ...] = ("bench-a", "bench-b", "bench-c")
    workers: int = 1
    offered_rate: float = 2_000.0
    latency_seconds: float = 15.0
    hit_ratio: float = 0.01
    rules: tuple[VelocityRule, ...] = ()
    # The loads offered after the fixed rate (`--rates`), each worker count alike.
    loads: tuple[Load, ...] = ()
    # Worker counts measured besides `workers` and one worker (always the reference).
    worker_counts: tuple[int, ...] = ()
    quix: bool = False

    def counts(self) -> tuple[int, ...]:
        """Every worker count the run measures, ascending; the last is `workers`."""
        return tuple(
            sorted({1, self.workers, *(n for n in self.worker_counts if n < self.workers)})
        )


def reference_config(config: BenchConfig, name: str, **changes: Any) -> BenchConfig:
    """A reference phase of a run: the same payments under member names ending in
    `-name`, so no phase reads another's topics, decisions or state, with `changes`."""
    members = tuple(f"{m}-{name}" for m in config.members)
    return replace(config, members=members, **changes)
