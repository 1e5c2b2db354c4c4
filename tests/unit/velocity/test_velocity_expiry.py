"""Expiry of velocity state (streams/velocity/expiry.py, the stage's TableState sweep and
the stale test in streams/velocity/evaluate.py): keys no rule can see again are deleted,
partition by partition, longest unwritten first, and nothing live is."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from streams.agents.velocity_stage import TableState
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import Source
from streams.velocity.evaluate import expiry_horizon_ms, is_stale
from streams.velocity.expiry import SWEEP_EVERY, SWEEP_LIMIT, ExpiringState, KeyExpiry
from streams.velocity.rule_set import RuleSet
from streams.velocity.state import LATE_GRACE_MS, encode_state
from streams.watchlist.index import WatchlistIndex
from tests.factories import payment_bytes, velocity_rule
from tests.unit.agents.stage_table import CHANGELOG, FakeTable, stage_table

HOUR_MS = 3_600_000
T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def state_at(*times_ms: int) -> bytes:
    return encode_state({"r": [(t, f"ref{i}", "") for i, t in enumerate(sorted(times_ms))]})


# --- the index ---------------------------------------------------------------------------


def test_keys_come_out_longest_unwritten_first_and_go_to_the_back() -> None:
    expiry = KeyExpiry()
    for key in ("a", "b", "c"):
        expiry.written(0, key)
    expiry.written(0, "a")  # written again: now the newest
    assert list(expiry.oldest(0, 2)) == ["b", "c"]
    # Handed-out keys went to the back.
    assert list(expiry.oldest(0, 3)) == ["a", "b", "c"]


def test_partitions_are_kept_apart() -> None:
    expiry = KeyExpiry()
    expiry.written(0, "a")
    expiry.written(1, "b")
    assert list(expiry.oldest(0, 10)) == ["a"]
    assert list(expiry.oldest(1, 10)) == ["b"]
    assert list(expiry.oldest(2, 10)) == []
    assert len(expiry) == 2


def test_deleted_and_forgotten_keys_leave_the_index() -> None:
    expiry = KeyExpiry()
    for key in ("a", "b"):
        expiry.written(0, key)
    expiry.written(1, "c")
    expiry.deleted(0, "a")
    expiry.deleted(0, "missing")
    expiry.deleted(5, "a")
    assert list(expiry.oldest(0, 10)) == ["b"]
    expiry.forget_partition(1)
    assert list(expiry.oldest(1, 10)) == [] and len(expiry) == 1


def test_the_limit_bounds_the_keys_handed_out() -> None:
    expiry = KeyExpiry()
    for i in range(10):
        expiry.written(0, str(i))
    assert list(expiry.oldest(0, 3)) == ["0", "1", "2"]
    assert list(expiry.oldest(0, 0)) == []


# --- what is stale -----------------------------------------------------------------------


def test_the_horizon_is_the_longest_window_plus_its_grace() -> None:
    assert expiry_horizon_ms([velocity_rule("a", window="10m")]) == 10 * 60_000 + LATE_GRACE_MS
    assert (
        expiry_horizon_ms([velocity_rule("a", window="10m"), velocity_rule("b", window="2d")])
        == 2 * 2 * 24 * HOUR_MS
    )
    # No rules left at the stage: the state of deleted rules goes after the stale age.
    assert expiry_horizon_ms([]) == 2 * 90 * 24 * HOUR_MS


def test_stale_means_no_event_at_or_after_the_limit() -> None:
    assert is_stale(state_at(100, 200), 201)
    assert not is_stale(state_at(100, 200), 200)
    assert not is_stale(state_at(100, 200), 150)
    mixed = encode_state({"old": [(100, "x", "")], "new": [(900, "y", "")]})
    assert not is_stale(mixed, 500)
    assert is_stale(encode_state({}), 0)
    assert is_stale(b"garbage", 0)  # a visit would start it afresh too


# --- the table state's sweep -------------------------------------------------------------


def table_state() -> tuple[TableState, FakeTable]:
    """Partition 0 of a stage table, and the table."""
    stages, table, _ = stage_table()
    return stages.at(0), table


def test_the_sweep_deletes_stale_keys_of_its_partition_only_with_tombstones_there() -> None:
    stages, table, writes = stage_table()
    state = stages.at(0)
    state["old"] = state_at(100)
    state["older"] = state_at(50)
    stages.at(1)["other-partition"] = state_at(10)
    state["live"] = state_at(1000)
    assert state.sweep(lambda raw: is_stale(raw, 500)) == 2
    assert set(table.data) == {b"other-partition", b"live"}
    assert writes.take()[-2:] == [(CHANGELOG, 0, b"old", None), (CHANGELOG, 0, b"older", None)]


def test_the_sweep_stops_at_the_first_live_key_and_sends_it_back() -> None:
    state, table = table_state()
    state["live"] = state_at(1000)
    state["stale"] = state_at(100)
    assert state.sweep(lambda raw: is_stale(raw, 500)) == 0
    # The live key went to the back: the next sweep reaches the stale one.
    assert state.sweep(lambda raw: is_stale(raw, 500)) == 1
    assert set(table.data) == {b"live"}


def test_the_sweep_looks_at_a_bounded_number_of_keys() -> None:
    state, table = table_state()
    for i in range(SWEEP_LIMIT + 5):
        state[str(i)] = state_at(1)
    assert state.sweep(lambda raw: is_stale(raw, 500)) == SWEEP_LIMIT
    assert len(table.data) == 5


def test_keys_gone_from_the_table_leave_the_index() -> None:
    state, table = table_state()
    state["gone"] = state_at(1)
    state["live"] = state_at(1000)
    del table.data[b"gone"]  # e.g. a tombstone applied from the changelog
    assert state.sweep(lambda raw: is_stale(raw, 500)) == 0
    assert list(state._expiry.oldest(0, 10)) == ["live"]


def test_a_sweep_is_due_on_one_event_in_sweep_every() -> None:
    state, _ = table_state()
    due = [state.sweep_due() for _ in range(3 * SWEEP_EVERY)]
    assert due.count(True) == 3 and due[SWEEP_EVERY - 1]
    assert isinstance(state, ExpiringState)
    assert not isinstance({}, ExpiringState)


# --- through the stage, as the worker runs it --------------------------------------------


class Stage:
    """A processor with one velocity rule, running its payee stage against a TableState."""

    def __init__(self, now: datetime) -> None:
        self.rules = [velocity_rule("r", window="10m")]
        self.processor = PaymentProcessor(WatchlistIndex(), 0.9, clock=lambda: now)
        self.processor.rules = RuleSet.from_rules(self.rules)
        self.state, self.table = table_state()
        self.offset = 0

    def pay(self, txn_id: str, at: datetime, payee: str) -> str:
        source = Source("payments.acme-bank", 0, self.offset, None)
        self.offset += 1
        [handoff] = self.processor.route(
            payment_bytes(txn_id, "acme-bank", ts=at, payee={"merchant_id": payee}),
            source,
            "acme-bank",
        )
        stage_source = Source(handoff.topic, 0, self.offset, handoff.key)
        [*_, decision] = self.processor.run_stage("payee", handoff.value, self.state, stage_source)
        return str(orjson.loads(decision.value)["decision"])

    def holds(self, payee: str) -> bool:
        return any(payee.encode() in key for key in self.table.data)


def test_a_payee_never_paid_again_is_swept_once_out_of_every_window() -> None:
    later = T0 + timedelta(milliseconds=expiry_horizon_ms([velocity_rule("r", window="10m")]) + 1)
    stage = Stage(now=later + timedelta(days=1))
    stage.pay("t0", T0, "M-GONE")
    assert stage.holds("M-GONE")
    # Other payees keep the stream going; once it is past the gone payee's horizon, a
    # sweep deletes its key and nothing live.
    for i in range(SWEEP_EVERY):
        stage.pay(f"t{i + 1}", later, f"M-{i % 3}")
    assert not stage.holds("M-GONE")
    assert all(stage.holds(f"M-{i}") for i in range(3))


def test_a_swept_key_would_not_have_counted_for_any_later_payment() -> None:
    # Three payments in ten minutes hold; the same three spread beyond the horizon do
    # not, with or without the sweep in between.
    horizon = timedelta(milliseconds=expiry_horizon_ms([velocity_rule("r", window="10m")]))
    stage = Stage(now=T0 + 3 * horizon)
    assert [stage.pay(f"a{i}", T0 + timedelta(minutes=i), "M-BUSY") for i in range(3)] == [
        "allow",
        "allow",
        "hold",
    ]
    for i in range(SWEEP_EVERY):
        stage.pay(f"f{i}", T0 + horizon + timedelta(minutes=11), f"M-FILL-{i}")
    assert not stage.holds("M-BUSY")
    assert stage.pay("a3", T0 + horizon + timedelta(minutes=12), "M-BUSY") == "allow"


def test_a_payment_dated_far_ahead_does_not_wipe_the_state() -> None:
    stage = Stage(now=T0 + timedelta(minutes=5))  # the real time
    stage.pay("t0", T0, "M-KEPT")
    for i in range(SWEEP_EVERY):
        stage.pay(f"f{i}", T0 + timedelta(days=3650), "M-FUTURE")
    assert stage.holds("M-KEPT")


def test_a_failed_sweep_is_logged_and_changes_no_decision(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stage = Stage(now=T0)

    def broken(is_stale: object) -> int:
        raise RuntimeError("table gone")

    stage.state.sweep = broken  # type: ignore[method-assign,assignment]
    with caplog.at_level(logging.ERROR):
        decisions = [stage.pay(f"t{i}", T0 + timedelta(minutes=i), "M-BUSY") for i in range(20)]
    assert decisions == ["allow", "allow", *["hold"] * 18]
    assert "sweeping stale state failed" in caplog.text
