"""The CPU a group of workers spends screening a backlog, start-up left out for each.

Consumes the workers of one group once the first of them consumed a payment; produces
their CPU seconds from then on, each worker counted from the later of that instant and the
end of its own start-up (its watchlist replica caught up: `screening_watchlist_ready` on
its metrics page). Workers that start together do not end their start-up together: the
first to be ready screens the backlog while another still replays the watchlist, and a
clock started once for all counted that replay as screening (two workers then cost up to
2.6 x one worker's CPU per payment in one run, 1.4 x in the next). A worker that never
finished starting is not counted: it screened nothing."""

from __future__ import annotations

import threading

from streams.benchmarks.bench_workers import SCREENING_POLL_S, BenchWorker
from streams.benchmarks.measure import process_stats
from streams.ops.metrics_scrape import StatusError, scrape

READY_METRIC = "screening_watchlist_ready"


def started(worker: BenchWorker) -> bool:
    """Whether a worker's start-up is over (False while its metrics page does not answer)."""
    try:
        url = f"http://127.0.0.1:{worker.web_port}/metrics"
        return scrape(url, 2.0).value(READY_METRIC) >= 1
    except StatusError:
        return False


class ScreeningCpu:
    """Each worker's CPU seconds from the end of its start-up; `start` when the first
    payment was consumed, `used` when the backlog is decided."""

    def __init__(self, workers: list[BenchWorker]) -> None:
        self._pending = list(workers)
        self._starts: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="screening-cpu", daemon=True)

    def start(self) -> None:
        """Start the clocks of the workers already started, and watch the others."""
        self._check()
        self._thread.start()

    def used(self) -> float:
        """CPU seconds of every started worker since its clock started."""
        self._stop.set()
        self._thread.join()
        return sum(process_stats(pid)[0] - cpu for pid, cpu in self._starts.items())

    def _watch(self) -> None:
        while self._pending and not self._stop.wait(SCREENING_POLL_S):
            self._check()

    def _check(self) -> None:
        for worker in list(self._pending):
            if started(worker):
                self._starts[worker.pid] = process_stats(worker.pid)[0]
                self._pending.remove(worker)
