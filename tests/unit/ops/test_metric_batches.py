"""Counting once per batch: inside `batched()` the helpers count what they count outside,
applied when the batch ends."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY

from streams.ops import metrics
from streams.ops.metric_batches import batched
from streams.rules.policy import Verdict

LATENCIES = (0.0, 0.0004, 0.001, 0.003, 0.02, 0.035, 2.0, 31.0, 1e9)
REASON = {"code": "WATCHLIST_MATCH", "type": "iban", "source": "ofac"}


def samples() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every value of the counters the helpers below touch (histograms observe at once)."""
    wanted = ("screening_payments_consumed", "screening_decisions", "screening_reasons")
    wanted += ("screening_watchlist_hits", "screening_dead_letters", "screening_future")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in REGISTRY.collect()
        if family.name.startswith(wanted)
        for s in family.samples
    }


def count_all(member: str) -> None:
    for latency in LATENCIES:
        metrics.payment_consumed(member)
        metrics.observe_decision(member, Verdict("hold", (REASON,)), latency)
    metrics.observe_decision(member, Verdict("allow", ()), -1.0)
    metrics.dead_letter(member, "SCHEMA")


def increase(before: dict[Any, float], after: dict[Any, float]) -> dict[Any, float]:
    return {k: round(v - before.get(k, 0.0), 9) for k, v in after.items()}


def test_a_batch_counts_what_each_payment_counted_at_once() -> None:
    start = samples()
    count_all("m-batch-at-once")
    middle = samples()
    with batched():
        count_all("m-batch-at-once")
        assert samples() == middle  # nothing until the batch ends
    end = samples()
    assert increase(middle, end) == increase(start, middle)
    assert any(v > 0 for v in increase(start, middle).values())


def test_a_batch_inside_a_batch_is_part_of_it_and_a_failed_batch_still_counts() -> None:
    metrics.PAYMENTS_CONSUMED.labels("m-batch-nested")  # the series, at 0
    before = samples()
    try:
        with batched():
            with batched():
                metrics.payment_consumed("m-batch-nested")
            assert samples() == before
            raise RuntimeError("the batch failed")
    except RuntimeError:
        pass
    after = increase(before, samples())
    key = ("screening_payments_consumed_total", (("member", "m-batch-nested"),))
    assert after[key] == 1
