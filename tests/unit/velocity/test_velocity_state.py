"""Sliding event-time window state (streams/velocity/state.py): window edges, out-of-order
and redelivered payments, bounded state, and observe() against a naive recomputation over
the full history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.model.payer_ref import payer_ref
from streams.velocity import state as velocity_state
from streams.velocity.rule import VelocityRule
from streams.velocity.state import (
    LATE_GRACE_MS,
    Event,
    decode_state,
    encode_state,
    event_time_ms,
    grace_ms,
    observation_cap,
    observe,
    txn_ref,
)
from tests.factories import velocity_rule


def feed(r: VelocityRule, events: list[Event]) -> tuple[list[Event], list[Decimal]]:
    state: list[Event] = []
    observed = []
    for event in events:
        state, value = observe(state, event, r)
        observed.append(value)
    return state, observed


@pytest.fixture
def thin_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thin on every insert, so tests see thinning wherever it could happen."""
    monkeypatch.setattr(velocity_state, "THIN_EVERY", 1)


# --- window semantics --------------------------------------------------------------------


def test_the_current_payment_counts() -> None:
    _, observed = feed(velocity_rule(window="10s"), [(1_000, "t1", "")])
    assert observed == [1]


def test_both_ends_of_the_window_are_inclusive() -> None:
    r = velocity_rule(window="10s")
    state, _ = feed(r, [(0, "edge", ""), (1, "inside", "")])
    _, at_edge = observe(state, (10_000, "now", ""), r)
    assert at_edge == 3  # the payment exactly one window earlier still counts
    _, past_edge = observe(state, (10_001, "later", ""), r)
    assert past_edge == 2  # one millisecond more and it has left the window


def test_events_sharing_a_millisecond_with_an_edge_are_all_in_or_all_out() -> None:
    r = velocity_rule(window="10s")
    state, _ = feed(r, [(10_001, "d", ""), (10_000, "b", ""), (0, "a", ""), (10_000, "c", "")])
    _, observed = observe(state, (10_000, "now", ""), r)
    assert observed == 4  # a at the window's start, b and c at its end, and the payment
    _, observed = observe(state, (10_001, "next", ""), r)
    assert observed == 4  # a has left; b, c, d and the payment


def test_a_later_event_received_earlier_counts_only_for_later_payments() -> None:
    r = velocity_rule(window="10s")
    state, _ = feed(r, [(5_000, "future", "")])
    state, observed = observe(state, (4_000, "late", ""), r)
    assert observed == 1  # the event at 5s is after 4s: not in [4s - 10s, 4s]
    _, observed = observe(state, (6_000, "next", ""), r)
    assert observed == 3  # but both count for a payment at 6s


def test_out_of_order_payment_sees_its_own_window() -> None:
    r = velocity_rule(window="10s")
    state, _ = feed(r, [(0, "a", ""), (20_000, "b", ""), (21_000, "c", "")])
    _, observed = observe(state, (12_000, "late", ""), r)
    # [2s, 12s] holds nothing else: a (0s) is too old, b and c are later.
    assert observed == 1


def test_sum_amount_is_exact_decimal_and_ignores_refunds() -> None:
    r = velocity_rule(measure="sum_amount", window="10s", threshold="100")
    _, observed = feed(r, [(0, "a", "0.1"), (1, "b", "0.2"), (2, "refund", "-50"), (3, "c", "0")])
    assert observed == [Decimal("0.1"), Decimal("0.3"), Decimal("0.3"), Decimal("0.3")]
    assert str(observed[1]) == "0.3"


def test_distinct_payers_counts_each_payer_once_and_no_payer_as_none() -> None:
    r = velocity_rule(measure="distinct_payers", window="10s")
    _, observed = feed(r, [(0, "1", "pa"), (1, "2", "pa"), (2, "3", ""), (3, "4", "pb")])
    assert observed == [1, 1, 1, 2]


def test_distinct_members() -> None:
    r = velocity_rule(measure="distinct_members", window="10s")
    _, observed = feed(r, [(0, "1", "acme"), (1, "2", "acme"), (2, "3", "northpay")])
    assert observed == [1, 1, 2]


# --- redelivery --------------------------------------------------------------------------


def test_redelivery_is_not_counted_twice_and_observes_the_same_value() -> None:
    r = velocity_rule(window="10s")
    state, first = feed(r, [(0, "a", ""), (1_000, "b", "")])
    again, observed = observe(state, (1_000, "b", ""), r)
    assert again == state
    assert observed == first[-1] == 2


def test_redelivery_after_later_payments_observes_as_of_its_own_time() -> None:
    r = velocity_rule(window="10s")
    state, first = feed(r, [(0, "a", ""), (1_000, "b", ""), (5_000, "c", ""), (9_000, "d", "")])
    _, observed = observe(state, (1_000, "b", ""), r)
    assert observed == first[1] == 2


def test_redelivery_after_a_crash_far_past_the_window_observes_exactly() -> None:
    # A worker wrote a seller's state through payment 40 (one a minute), then died before
    # producing the decisions of payments 10 to 40; restarted, it sees them again.
    r = velocity_rule(window="10m", threshold=2)
    minute = 60_000
    state, first = feed(r, [(i * minute, f"t{i}", "") for i in range(41)])
    for i in range(10, 41):
        state, observed = observe(state, (i * minute, f"t{i}", ""), r)
        assert observed == first[i], i


def test_a_payment_later_than_the_grace_observes_what_is_left() -> None:
    r = velocity_rule(window="10s", threshold=2)
    assert grace_ms(r) == LATE_GRACE_MS  # an hour, far longer than the window
    late = LATE_GRACE_MS + 20_000
    state, _ = feed(r, [(0, "a", ""), (1_000, "b", ""), (late, "c", "")])
    assert [e[1] for e in state] == ["c"]  # a and b are older than newest - grace - window
    _, observed = observe(state, (2_000, "d", ""), r)
    assert observed == 1  # a lower bound: the full history holds 3 in [-8s, 2s]


# --- bounded state -----------------------------------------------------------------------


def test_observed_is_clipped_at_four_times_the_threshold() -> None:
    r = velocity_rule(window="10s", threshold=2)
    assert observation_cap(r) == 8
    _, observed = feed(r, [(i, f"t{i}", "") for i in range(20)])
    assert observed[:8] == list(range(1, 9))
    assert set(observed[8:]) == {8}


def test_fractional_count_threshold_caps_at_four_times_its_ceiling() -> None:
    assert observation_cap(velocity_rule(window="10s", threshold="2.5")) == 12


@pytest.mark.parametrize(
    ("measure", "threshold", "cap"),
    [
        ("count", "99999999999999999999.00000000000000000001", 4 * 10**20 * Decimal(1)),
        ("distinct_payers", "99999999999999999999", Decimal("399999999999999999996")),
        (
            "sum_amount",
            "99999999999999999999.99999999999999999999",
            Decimal("399999999999999999999.99999999999999999996"),
        ),
    ],
)
def test_the_cap_is_exact_for_the_longest_thresholds(
    measure: str, threshold: str, cap: Decimal
) -> None:
    # 40 and 21 digits: beyond the 28 of Decimal's default context.
    assert observation_cap(velocity_rule(measure=measure, window="10s", threshold=threshold)) == cap


def test_events_older_than_grace_and_window_behind_the_newest_are_dropped() -> None:
    r = velocity_rule(window="10s", threshold=100)  # grace: an hour
    newest = LATE_GRACE_MS + 25_000
    state, _ = feed(r, [(0, "old", ""), (15_000, "mid", ""), (newest, "new", "")])
    assert [e[1] for e in state] == ["mid", "new"]  # 0 < newest - 1h - 10s = 15s
    long = velocity_rule(window="2h", threshold=100)  # grace: the window itself
    hour = 3_600_000
    state, _ = feed(long, [(0, "old", ""), (hour, "mid", ""), (5 * hour, "new", "")])
    assert [e[1] for e in state] == ["mid", "new"]  # 0 < 5h - 2h - 2h = 1h


@pytest.mark.usefixtures("thin_always")
@pytest.mark.parametrize(
    ("measure", "threshold", "datum"),
    [
        ("count", 5, lambda i: ""),
        ("sum_amount", "100", lambda i: "9.99"),
        ("distinct_payers", 5, lambda i: f"p{i % 50}"),
        ("distinct_members", 5, lambda i: f"m{i % 30}"),
    ],
)
def test_a_heavy_key_keeps_a_few_caps_of_events(measure: str, threshold: Any, datum: Any) -> None:
    r = velocity_rule(measure=measure, window="1h", threshold=threshold)
    events = [(i * 100, f"t{i}", datum(i)) for i in range(5_000)]  # 36,000 an hour
    state, observed = feed(r, events)
    cap = observation_cap(r)
    per_event = Decimal("9.99") if measure == "sum_amount" else 1
    assert len(state) <= 3 * cap / per_event + 2
    assert observed[-1] == cap


@pytest.mark.usefixtures("thin_always")
def test_an_event_between_two_crowds_is_kept_for_the_window_that_sees_only_it() -> None:
    r = velocity_rule(window="10ms", threshold=1)  # cap 4
    crowds = [(94, f"a{i}", "") for i in range(4)] + [(106, f"b{i}", "") for i in range(4)]
    state, _ = feed(r, [*crowds, (100, "lonely", "")])
    # [95, 105] holds neither crowd: without "lonely" a payment at 105 would see only itself.
    _, observed = observe(state, (105, "probe", ""), r)
    assert observed == 2


def test_the_hard_limit_keeps_the_newest_events(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(velocity_state, "MAX_EVENTS", 10)
    r = velocity_rule(measure="sum_amount", window="1h", threshold="1000000")
    state, _ = feed(r, [(i, f"t{i}", "1") for i in range(30)])
    assert len(state) <= 10
    assert state[-1][1] == "t29"


def test_events_of_another_measure_are_ignored_after_a_rule_changes() -> None:
    count_rule = velocity_rule(measure="count", window="10s", threshold=100)
    state, _ = feed(count_rule, [(0, "a", ""), (1, "b", "")])
    _, observed = observe(
        state, (2, "c", "12.50"), velocity_rule(measure="sum_amount", window="10s", threshold="100")
    )
    assert observed == Decimal("12.50")


# --- encoding ----------------------------------------------------------------------------


def test_state_encoding_round_trips() -> None:
    state = {"r1": [(1, "a", ""), (2, "b", "9.99")], "r2": [], "r3": [(5, "c", "pa")]}
    assert decode_state(encode_state(state)) == state


def test_equal_states_encode_to_equal_bytes() -> None:
    one = {"a": [(1, "x", "")], "b": [(2, "y", "")]}
    other = {"b": [(2, "y", "")], "a": [(1, "x", "")]}
    assert encode_state(one) == encode_state(other)


@pytest.mark.parametrize("raw", [None, b""])
def test_missing_state_decodes_empty(raw: bytes | None) -> None:
    assert decode_state(raw) == {}


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        orjson.dumps({"r": "x"}),
        orjson.dumps({"r": [[1], ["a"]]}),
        orjson.dumps({"r": [[1, 2], ["a"], ["", ""]]}),
        orjson.dumps({"r": [["1"], ["a"], [""]]}),
        orjson.dumps({"r": [[True], ["a"], [""]]}),
        orjson.dumps({"r": [[1], [2], [""]]}),
    ],
)
def test_corrupt_state_raises_value_error(raw: bytes) -> None:
    with pytest.raises(ValueError, match="velocity state"):
        decode_state(raw)


def test_decoded_events_are_sorted_by_time() -> None:
    raw = orjson.dumps({"r": [[3, 1, 2], ["c", "a", "b"], ["", "", ""]]})
    assert decode_state(raw) == {"r": [(1, "a", ""), (2, "b", ""), (3, "c", "")]}


# --- references and time -----------------------------------------------------------------


def test_refs_are_short_stable_digests_scoped_by_member() -> None:
    ref = payer_ref("acme-bank", "customer-42")
    assert len(ref) == 16 and int(ref, 16) >= 0
    assert ref == payer_ref("acme-bank", "customer-42")
    assert ref != payer_ref("northpay", "customer-42")
    assert "customer-42" not in ref
    assert txn_ref("acme-bank", "customer-42") != ref  # txn and payer refs never collide


def test_event_time_is_exact_milliseconds() -> None:
    ts = datetime(2026, 3, 14, 9, 26, 53, 120_999, tzinfo=UTC)
    assert event_time_ms(ts) == 1_773_480_413_120
    assert event_time_ms(ts + timedelta(microseconds=1)) == 1_773_480_413_121


# --- against a naive recomputation -------------------------------------------------------


@dataclass
class Naive:
    """The full history, never thinned: what observe() must agree with."""

    r: VelocityRule
    history: dict[str, Event] = field(default_factory=dict)

    def counts(self, event: Event) -> bool:
        if self.r.measure == "count":
            return True
        if self.r.measure == "sum_amount":
            return Decimal(event[2]) > 0
        return event[2] != ""

    def observe(self, event: Event) -> Decimal:
        ts = self.history[event[1]][0] if event[1] in self.history else event[0]
        if event[1] not in self.history and self.counts(event):
            self.history[event[1]] = event
        lo = ts - self.r.window_ms
        window = [e for e in self.history.values() if lo <= e[0] <= ts]
        if self.r.measure == "count":
            value = Decimal(len(window))
        elif self.r.measure == "sum_amount":
            value = sum((Decimal(e[2]) for e in window), Decimal(0))
        else:
            value = Decimal(len({e[2] for e in window}))
        return min(value, observation_cap(self.r))

    def newest(self) -> int | None:
        return max((e[0] for e in self.history.values()), default=None)


MEASURE_DATA = {
    "count": st.just(""),
    "sum_amount": st.sampled_from(["1", "2.5", "0.01", "7", "0", "-3"]),
    "distinct_payers": st.sampled_from(["pa", "pb", "pc", "pd", "pe", ""]),
    "distinct_members": st.sampled_from(["acme", "northpay", "cardco", "zeta"]),
}


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[VelocityRule, list[Event]]:
    measure = draw(st.sampled_from(sorted(MEASURE_DATA)))
    window = draw(st.sampled_from(["1ms", "2ms", "5ms", "10ms", "25ms", "60ms"]))
    if measure == "sum_amount":
        threshold: Any = draw(st.sampled_from(["0.5", "3", "10", "12.5"]))
    else:
        threshold = draw(st.integers(1, 4))
    r = velocity_rule(measure=measure, window=window, threshold=threshold)
    events: list[Event] = []
    for i in range(draw(st.integers(1, 80))):
        if events and draw(st.integers(0, 9)) == 0:
            events.append(draw(st.sampled_from(events)))  # a redelivery
        else:
            # Mostly in order with jitter, some far behind: out-of-order payments.
            base = i * draw(st.sampled_from([0, 1, 2]))
            ts = max(0, base + draw(st.integers(-30, 5)))
            events.append((ts, f"t{i}", draw(MEASURE_DATA[measure])))
    return r, events


def check_against_naive(r: VelocityRule, events: list[Event]) -> None:
    naive = Naive(r)
    state: list[Event] = []
    for event in events:
        state, observed = observe(state, event, r)
        expected = naive.observe(event)
        at = naive.history[event[1]][0] if event[1] in naive.history else event[0]
        newest = naive.newest()
        promised = newest is None or at >= newest - grace_ms(r)
        fired, should_fire = observed >= r.threshold, expected >= r.threshold
        if promised:
            assert observed == expected, (event, state)
            assert fired == should_fire
        else:
            # Later than the grace: what is left may miss some events, never invents any.
            assert observed <= expected
        assert state == sorted(state)
        assert len({e[1] for e in state}) == len(state)


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_observe_agrees_with_the_full_history(scenario: tuple[VelocityRule, list[Event]]) -> None:
    check_against_naive(*scenario)


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_observe_agrees_with_the_full_history_when_thinning_every_time(
    scenario: tuple[VelocityRule, list[Event]],
) -> None:
    original = velocity_state.THIN_EVERY
    velocity_state.THIN_EVERY = 1
    try:
        check_against_naive(*scenario)
    finally:
        velocity_state.THIN_EVERY = original
