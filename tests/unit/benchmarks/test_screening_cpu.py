"""Each worker's screening CPU is counted from the end of its own start-up."""

from __future__ import annotations

import time
from typing import Any

import pytest

from streams.benchmarks import screening_cpu
from streams.benchmarks.screening_cpu import ScreeningCpu


class FakeWorker:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.web_port = pid


def test_a_worker_still_starting_is_counted_from_when_it_is_ready(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cpu = {1: 10.0, 2: 50.0, 3: 7.0}
    ready = {1: True, 2: False, 3: False}
    monkeypatch.setattr(screening_cpu, "started", lambda w: ready[w.pid])
    monkeypatch.setattr(screening_cpu, "process_stats", lambda pid: (cpu[pid], 0.0))
    workers: list[Any] = [FakeWorker(1), FakeWorker(2), FakeWorker(3)]
    clock = ScreeningCpu(workers)
    clock.start()
    cpu[1] += 1.0
    cpu[2] += 40.0  # replaying the watchlist: start-up, not screening
    ready[2] = True
    time.sleep(0.2)
    cpu[1] += 1.0
    cpu[2] += 0.5
    cpu[3] += 9.0  # never started: screened nothing
    assert clock.used() == pytest.approx(2.5)
