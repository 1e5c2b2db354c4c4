"""Figures the benchmarks take: quantiles, rates from broker timestamps, a process's CPU
and peak memory (from /proc), and the broker timestamps of a run's outputs."""

from __future__ import annotations

import os
from pathlib import Path

from tqdm import tqdm

from streams.kafka.client import read
from streams.settings import Settings


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of measured values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rate_from_timestamps(timestamps_ms: list[int]) -> float:
    """Records per second between the first and last broker timestamp."""
    if len(timestamps_ms) < 2:
        return 0.0
    span = (max(timestamps_ms) - min(timestamps_ms)) / 1000.0
    return (len(timestamps_ms) - 1) / span if span > 0 else float("inf")


def process_stats(pid: int) -> tuple[float, float]:
    """(CPU seconds used, peak resident MiB) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    peak = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    return cpu, peak


def collect_timestamps(
    settings: Settings, names: list[str], expected: int, timeout_s: float, desc: str
) -> dict[bytes, int]:
    """Key -> broker timestamp of every record on the topics, until `expected` keys."""
    found: dict[bytes, int] = {}
    with tqdm(total=expected, desc=desc, unit=" msg", leave=False) as bar:
        for record in read(
            settings,
            names,
            idle_timeout_s=timeout_s,
            total_timeout_s=timeout_s,
            until=lambda _: len(found) >= expected,
        ):
            if record.key is not None and record.key not in found:
                found[record.key] = record.timestamp_ms
                bar.update(1)
    return found
