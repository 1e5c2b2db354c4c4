"""When the watchlist snapshot keeper writes (streams/agents/watchlist_snapshots.py): not
while payments arrive, nor early in a worker that has not screened yet, unless it waited a
whole interval."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from streams.agents import watchlist_snapshots
from streams.agents.watchlist_snapshots import SnapshotKeeper


def keeper(interval_s: float, last_input: Any) -> SnapshotKeeper:
    """A keeper with no replica or store (only its wait is exercised)."""
    return SnapshotKeeper(None, None, interval_s, last_input)  # type: ignore[arg-type]


def waited(interval_s: float, last_input: Any) -> float:
    """How long `until_idle` took, in seconds."""

    async def scenario() -> float:
        started = time.monotonic()
        await keeper(interval_s, last_input).until_idle(started + interval_s)
        return time.monotonic() - started

    return asyncio.run(scenario())


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watchlist_snapshots, "IDLE_S", 0.2)
    monkeypatch.setattr(watchlist_snapshots, "IDLE_POLL_S", 0.01)
    monkeypatch.setattr(watchlist_snapshots, "NO_INPUT_YET_S", 0.5)


def test_an_idle_worker_writes_at_once() -> None:
    assert waited(10.0, lambda: time.monotonic() - 60) < 0.1


def test_a_busy_worker_waits_until_payments_stop() -> None:
    stops = time.monotonic() + 0.3

    def last_input() -> float:
        now = time.monotonic()
        return now if now < stops else stops

    assert 0.45 <= waited(10.0, last_input) < 2.0


def test_a_worker_never_idle_writes_after_an_interval() -> None:
    assert 0.3 <= waited(0.3, time.monotonic) < 1.0


def test_a_worker_that_never_screened_waits_longer_before_its_first_snapshot() -> None:
    # Most likely still joining its group, with a backlog waiting.
    assert 0.5 <= waited(10.0, lambda: 0.0) < 2.0
