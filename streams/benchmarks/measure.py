"""Figures the benchmarks take: quantiles, rates from record timestamps, and a process's CPU
and peak memory (from /proc)."""

from __future__ import annotations

import os
from pathlib import Path

from streams.benchmarks.process_peak import vm_hwm_mib


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of measured values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rate_from_timestamps(timestamps_ms: list[int]) -> float:
    """Records per second between the first and last record timestamp."""
    if len(timestamps_ms) < 2:
        return 0.0
    span = (max(timestamps_ms) - min(timestamps_ms)) / 1000.0
    return (len(timestamps_ms) - 1) / span if span > 0 else float("inf")


def process_stats(pid: int) -> tuple[float, float]:
    """(CPU seconds used, peak resident MiB) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return cpu, vm_hwm_mib(Path(f"/proc/{pid}/status").read_text()) or 0.0
