"""The worker's metrics: what the hot-path helpers count, naming and label hygiene, the lag
monitor against a stand-in consumer, and the agent-crash counter. The registry is global,
so assertions compare before and after."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import pytest
from prometheus_client import REGISTRY

from streams.agents.lag_monitor import LagMonitor, compute_lag, is_payments_topic
from streams.ops import metrics
from streams.rules.policy import Verdict
from streams.worker.instrumentation import count_agent_errors

FORBIDDEN_LABELS = {"txn_id", "txn", "payee", "payer", "payee_key", "entry_id", "value", "key"}


def sample(name: str, **labels: str) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    return 0.0 if value is None else value


def verdict(decision: str, *reasons: dict[str, Any]) -> Verdict:
    return Verdict(decision, tuple(reasons))


# --- naming and labels ------------------------------------------------------------------


def worker_families() -> list[Any]:
    return [f for f in REGISTRY.collect() if f.name.startswith("screening_")]


def test_metric_names_follow_prometheus_conventions() -> None:
    families = worker_families()
    assert len(families) >= 20
    for family in families:
        if family.type == "histogram":
            assert family.name.endswith("_seconds"), family.name
        if family.type == "gauge" and "timestamp" in family.name:
            assert family.name.endswith("_timestamp_seconds"), family.name
        assert family.documentation, f"{family.name} has no help text"
    from prometheus_client import generate_latest

    exposed = generate_latest().decode()
    for family in families:
        if family.type == "counter":
            assert f"# TYPE {family.name}_total counter" in exposed or (
                f"# TYPE {family.name} counter" in exposed and family.name.endswith("_total")
            ), family.name


def test_counters_are_exposed_with_total_and_without_created() -> None:
    from prometheus_client import generate_latest

    text = generate_latest().decode()
    assert "screening_decisions_total" in text
    assert "_created" not in text, "created series are disabled"


def test_no_label_can_carry_a_transaction_or_payee_id() -> None:
    for family in worker_families():
        for s in family.samples:
            assert not FORBIDDEN_LABELS & set(s.labels), f"{s.name} labels {s.labels}"
    declared = {
        name
        for metric in vars(metrics).values()
        if hasattr(metric, "_labelnames")
        for name in metric._labelnames
    }
    assert declared and not FORBIDDEN_LABELS & declared


def test_latency_buckets_resolve_1_to_100_ms() -> None:
    buckets = metrics.LATENCY_BUCKETS
    assert list(buckets) == sorted(buckets)
    fine = [b for b in buckets if 0.001 <= b <= 0.1]
    assert fine[0] == 0.001 and fine[-1] == 0.1
    assert len(fine) >= 10
    # No gap wider than 2.5x between neighbours inside 1-100 ms.
    assert all(b / a <= 2.5 for a, b in itertools.pairwise(fine))
    assert 0.035 in buckets, "the p99 budget is a boundary"


# --- the hot-path helpers ---------------------------------------------------------------


def test_observe_decision_counts_decision_reasons_hits_and_latency() -> None:
    member = "m-observe"
    before = {
        "block": sample("screening_decisions_total", member=member, decision="block"),
        "reason": sample(
            "screening_reasons_total", code="WATCHLIST_MATCH", rule="watchlist_match", type="iban"
        ),
        "name": sample(
            "screening_reasons_total",
            code="WATCHLIST_NAME_MATCH",
            rule="name_match",
            type="name",
        ),
        "hits": sample("screening_watchlist_hits_total", source="src-observe"),
        "latency": sample("screening_decision_latency_seconds_count"),
        "le_10ms": sample("screening_decision_latency_seconds_bucket", le="0.01"),
    }
    metrics.observe_decision(
        member,
        verdict(
            "block",
            {"code": "WATCHLIST_MATCH", "type": "iban", "source": "src-observe", "entry_id": "e1"},
            {"code": "WATCHLIST_NAME_MATCH", "type": "name", "source": "src-observe"},
        ),
        0.004,
    )
    assert sample("screening_decisions_total", member=member, decision="block") == (
        before["block"] + 1
    )
    assert sample(
        "screening_reasons_total", code="WATCHLIST_MATCH", rule="watchlist_match", type="iban"
    ) == (before["reason"] + 1)
    assert sample(
        "screening_reasons_total", code="WATCHLIST_NAME_MATCH", rule="name_match", type="name"
    ) == (before["name"] + 1)
    assert sample("screening_watchlist_hits_total", source="src-observe") == before["hits"] + 2
    assert sample("screening_decision_latency_seconds_count") == before["latency"] + 1
    assert sample("screening_decision_latency_seconds_bucket", le="0.01") == before["le_10ms"] + 1


def test_internal_error_and_velocity_reasons_name_their_rule() -> None:
    errors = sample("screening_internal_errors_total", kind="rule")
    metrics.observe_decision(
        "m-rules",
        verdict(
            "hold",
            {"code": "INTERNAL_ERROR", "rule": "name_match", "error": "boom"},
            {"code": "VELOCITY", "rule_id": "burst-1", "observed": 9, "threshold": 5},
        ),
        0.002,
    )
    assert sample("screening_internal_errors_total", kind="rule") == errors + 1
    assert sample("screening_reasons_total", code="INTERNAL_ERROR", rule="name_match", type="")
    assert sample("screening_reasons_total", code="VELOCITY", rule="burst-1", type="")
    assert metrics.reason_labels({"code": "WATCHLIST_LINK", "entry_id": "x"}) == (
        "WATCHLIST_LINK",
        "watchlist_link",
        "",
    )


def test_a_future_timestamp_is_counted_not_observed() -> None:
    future = sample("screening_future_event_time_total")
    count = sample("screening_decision_latency_seconds_count")
    metrics.observe_decision("m-future", verdict("allow"), -3.0)
    assert sample("screening_future_event_time_total") == future + 1
    assert sample("screening_decision_latency_seconds_count") == count


def test_payments_and_dead_letters_are_counted_per_member() -> None:
    consumed = sample("screening_payments_consumed_total", member="m-dead")
    dead = sample("screening_dead_letters_total", member="m-dead", reason="SCHEMA")
    metrics.payment_consumed("m-dead")
    metrics.payment_consumed("m-dead")
    metrics.dead_letter("m-dead", "SCHEMA")
    assert sample("screening_payments_consumed_total", member="m-dead") == consumed + 2
    assert sample("screening_dead_letters_total", member="m-dead", reason="SCHEMA") == dead + 1


def test_serve_members_creates_zero_series_for_every_decision() -> None:
    metrics.serve_members(["m-quiet-a", "m-quiet-b"])
    assert sample("screening_members_served") == 2
    for member in ("m-quiet-a", "m-quiet-b"):
        for decision in ("allow", "hold", "block"):
            value = REGISTRY.get_sample_value(
                "screening_decisions_total", {"member": member, "decision": decision}
            )
            assert value == 0.0
        assert REGISTRY.get_sample_value(
            "screening_payments_consumed_total", {"member": member}
        ) == (0.0)


def test_data_driven_labels_are_capped() -> None:
    label = metrics.BoundedLabel(limit=3)
    assert [label(v) for v in ("a", "b", "c", "d", "a", "e")] == [
        "a",
        "b",
        "c",
        "other",
        "a",
        "other",
    ]


def test_watchlist_record_timestamp_keeps_the_newest() -> None:
    metrics.watchlist_record_seen(2_000_000_000_000)
    metrics.watchlist_record_seen(1_000_000_000_000)
    metrics.watchlist_record_seen(-1)
    assert sample("screening_watchlist_last_record_timestamp_seconds") >= 2_000_000_000


def test_processor_counts_through_the_helpers() -> None:
    """The processor's consumed/dead-letter counts land on the topic's member."""
    from streams.pipeline.processor import PaymentProcessor
    from streams.pipeline.records import Source
    from streams.watchlist.index import WatchlistIndex

    processor = PaymentProcessor(WatchlistIndex(), 88.0)
    consumed = sample("screening_payments_consumed_total", member="m-proc")
    dead = sample("screening_dead_letters_total", member="m-proc", reason="INVALID_JSON")
    processor.process(b"{not json", Source("payments.m-proc", 0, 1, None), "m-proc")
    assert sample("screening_payments_consumed_total", member="m-proc") == consumed + 1
    assert sample("screening_dead_letters_total", member="m-proc", reason="INVALID_JSON") == (
        dead + 1
    )


# --- the lag monitor --------------------------------------------------------------------


class TP(NamedTuple):
    topic: str
    partition: int


class FakeConsumer:
    """What the lag monitor uses of Faust's consumer."""

    def __init__(
        self, assigned: Iterable[TP], ends: Mapping[TP, int], committed: Mapping[TP, int | None]
    ) -> None:
        self.assigned = set(assigned)
        self.ends = dict(ends)
        self._committed_offset = dict(committed)
        self.earliest = {tp: 0 for tp in self.assigned}

    def assignment(self) -> set[TP]:
        return self.assigned

    async def highwaters(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.ends[tp] for tp in tps}

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.earliest[tp] for tp in tps}


class FakeApp:
    def __init__(self, consumer: FakeConsumer) -> None:
        self.consumer = consumer


def lag_value(topic: str, partition: int) -> float | None:
    return REGISTRY.get_sample_value(
        "screening_consumer_lag_messages", {"topic": topic, "partition": str(partition)}
    )


def test_compute_lag_uses_committed_or_earliest_offsets() -> None:
    a0, a1, a2 = TP("payments.a", 0), TP("payments.a", 1), TP("payments.a", 2)
    lag = compute_lag([a0, a1, a2], {a0: 100, a1: 50}, {a0: 40, a1: None, a2: 3}, {a1: 10})
    assert lag == {("payments.a", 0): 60, ("payments.a", 1): 40}


def test_only_payment_topics_are_reported() -> None:
    assert is_payments_topic("payments.acme-bank")
    assert not is_payments_topic("screening-__assignor-__leader")
    assert not is_payments_topic("decisions.acme-bank")


def test_lag_monitor_sets_and_drops_partition_gauges() -> None:
    p0, p1 = TP("payments.lagtest", 0), TP("payments.lagtest", 1)
    internal = TP("screening-__assignor-__leader", 0)
    consumer = FakeConsumer([p0, p1, internal], {p0: 10, p1: 7, internal: 5}, {p0: 4, p1: None})
    monitor = LagMonitor(FakeApp(consumer))  # type: ignore[arg-type]
    assert asyncio.run(monitor.measure()) == {
        ("payments.lagtest", 0): 6,
        ("payments.lagtest", 1): 7,
    }
    assert lag_value("payments.lagtest", 0) == 6
    assert lag_value("payments.lagtest", 1) == 7
    assert (
        REGISTRY.get_sample_value(
            "screening_consumer_lag_messages", {"topic": internal.topic, "partition": "0"}
        )
        is None
    )

    rebalances = sample("screening_rebalances_total")
    asyncio.run(monitor.on_assigned(None, {p1}, signal=None))
    assert sample("screening_rebalances_total") == rebalances + 1
    assert sample("screening_consumer_assigned_partitions") == 1
    assert lag_value("payments.lagtest", 0) is None, "a revoked partition stops being reported"
    assert lag_value("payments.lagtest", 1) == 7

    consumer.assigned = set()
    asyncio.run(monitor.measure())
    assert lag_value("payments.lagtest", 1) is None


def test_lag_monitor_survives_a_broker_error(caplog: pytest.LogCaptureFixture) -> None:
    class Failing(FakeConsumer):
        async def highwaters(self, *tps: TP) -> dict[TP, int]:
            raise ConnectionError("broker gone")

    monitor = LagMonitor(FakeApp(Failing([TP("payments.x", 0)], {}, {})))  # type: ignore[arg-type]
    asyncio.run(monitor.tick())
    asyncio.run(monitor.tick())
    warnings = [r for r in caplog.records if "consumer lag not measured" in r.getMessage()]
    assert len(warnings) == 1, "the same cause is logged once"


# --- agent crashes ----------------------------------------------------------------------


def test_agent_crashes_are_counted_and_faust_still_handles_them() -> None:
    handled: list[BaseException] = []

    class Agent:
        async def _on_error(self, agent: Any, exc: BaseException) -> None:
            handled.append(exc)

    agent = Agent()
    count_agent_errors(agent)
    crashes = sample("screening_internal_errors_total", kind="agent")
    error = RuntimeError("boom")
    asyncio.run(agent._on_error(agent, error))
    assert sample("screening_internal_errors_total", kind="agent") == crashes + 1
    assert handled == [error]


def test_faust_agents_keep_the_error_handler_we_wrap() -> None:
    """count_agent_errors relies on Faust's Agent storing its handler as `_on_error` and
    calling it when the agent body raises; fail here if a Faust upgrade changes that."""
    import inspect

    import faust
    from faust.agents.agent import Agent

    # Never started: declaring an agent needs no broker.
    app = faust.App("metrics-test", broker="kafka://127.0.0.1:1", autodiscover=False)

    @app.agent(app.channel(), name="probe")  # type: ignore[untyped-decorator]
    async def probe(stream: Any) -> None:
        async for _ in stream:
            pass

    assert callable(probe._on_error)
    assert "self._on_error" in inspect.getsource(Agent._execute_actor)
