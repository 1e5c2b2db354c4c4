"""Paying while a change (a watchlist entry, a rule) reaches a running worker: one payment
every 0.1 s until a decision shows the change, then a few more, so that a test can check
that every payment sent once the worker had applied the change follows it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from streams.settings import Settings
from tests.integration.harness import Collector, WorkerProcess, produce

# How long a change may take to reach a running worker before the test fails. It takes
# 60-140 ms (`screening bench`, docs/performance.md); 60 s keeps a loaded CI machine from
# failing a test for being slow rather than wrong.
CHANGE_WAIT_S = 60.0
# Payments sent after the change first showed, all of which must follow it.
AFTER_CHANGE = 10


@dataclass(frozen=True)
class ChangeRun:
    """The payments a run sent, in order, their decisions by txn_id, and how many had been
    sent when the collector first saw a decision showing the change."""

    txns: list[str]
    decided: dict[str, dict[str, Any]]
    sent_before_seen: int

    def decisions(self) -> list[dict[str, Any]]:
        """Every payment's decision, in the order the payments were sent."""
        return [self.decided[t] for t in self.txns]

    def after_change(self) -> list[dict[str, Any]]:
        """Decisions of the payments sent once a decision had shown the change: the worker
        had applied it before these payments existed."""
        return [self.decided[t] for t in self.txns[self.sent_before_seen :]]


def pay_until_changed(
    settings: Settings,
    worker: WorkerProcess,
    collector: Collector,
    topic: str,
    payment: Callable[[str], bytes],
    prefix: str,
    shows_change: Callable[[dict[str, Any]], bool],
) -> ChangeRun:
    """Send `payment(txn_id)` to `topic` every 0.1 s until `collector` holds a decision of
    one of them for which `shows_change` is true (failing after CHANGE_WAIT_S), then
    AFTER_CHANGE more; returns the run once every payment is decided."""
    txns: list[str] = []

    def decided() -> dict[str, dict[str, Any]]:
        wanted = set(txns)
        docs = (orjson.loads(r["value"]) for r in collector.records)  # type: ignore[arg-type]
        return {d["txn_id"]: d for d in docs if d["txn_id"] in wanted}

    def send() -> None:
        txn = f"{prefix}-{len(txns)}"
        produce(settings, topic, [(None, payment(txn))])
        txns.append(txn)

    deadline = time.monotonic() + CHANGE_WAIT_S
    while not any(shows_change(d) for d in decided().values()):
        assert time.monotonic() < deadline, (
            f"no decision showed the change within {CHANGE_WAIT_S:.0f} s\n{worker.log()}"
        )
        send()
        collector.poll(0.1)
    sent_before_seen = len(txns)
    for _ in range(AFTER_CHANGE):
        send()
    assert collector.until(lambda _: set(txns) <= set(decided()), 60), worker.log()
    return ChangeRun(list(txns), decided(), sent_before_seen)
