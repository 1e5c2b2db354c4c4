"""What a screening benchmark run measures: sizes, members, workers and the paced load."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from streams.velocity.rule import VelocityRule

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BenchConfig:
    """What to run: sizes, members, workers and the paced load."""

    payments: int = 60_000
    watchlist: int = 100_000
    members: tuple[str, ...] = ("bench-a", "bench-b", "bench-c")
    workers: int = 1
    offered_rate: float = 2_000.0
    latency_seconds: float = 15.0
    hit_ratio: float = 0.01
    rules: tuple[VelocityRule, ...] = ()
