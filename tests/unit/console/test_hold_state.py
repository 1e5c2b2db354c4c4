"""The hold fold: any interleaving that keeps each topic's order gives the same state;
applying an event twice changes nothing; a resolution is terminal."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.console.hold_state import (
    OPEN,
    PENDING,
    RESOLVED,
    HoldEvent,
    HoldState,
    apply_event,
)

M, T = "acme", "t-1"


def ev(kind: str, data: object) -> HoldEvent:
    return HoldEvent(M, T, kind, data)


# One hold's story per topic, each in its own topic's order.
DECISIONS = [ev("decision", {"decision": "hold", "reasons": [], "decided_at": "x"})]
PAYMENTS = [ev("payment", {"amount": "9.99"})]
ALERTS = [ev("alert", {"amount": "9.99", "payer_ref": "ab"})]
AUDIT = [
    ev("claim", "ann"),
    ev("pending", {"event_id": "p1", "outcome": "release"}),
    ev("refusal", "p1"),
    ev("claim", "bob"),
    ev("pending", {"event_id": "p2", "outcome": "release"}),
]
RESOLUTIONS = [ev("resolution", {"outcome": "release", "approved_by": "sue"})]
STREAMS = [DECISIONS, PAYMENTS, ALERTS, AUDIT, RESOLUTIONS]


def fold(events: list[HoldEvent]) -> HoldState | None:
    state: HoldState | None = None
    for event in events:
        state = apply_event(state, event)
    return state


@st.composite
def interleavings(draw: st.DrawFn) -> list[HoldEvent]:
    queues = [list(s) for s in STREAMS]
    out: list[HoldEvent] = []
    while any(queues):
        choices = [i for i, q in enumerate(queues) if q]
        out.append(queues[draw(st.sampled_from(choices))].pop(0))
    return out


@given(interleavings())
def test_any_interleaving_of_topics_gives_the_same_hold(events: list[HoldEvent]) -> None:
    reference = fold([e for s in STREAMS for e in s])
    assert fold(events) == reference
    assert reference is not None and reference.status == RESOLVED
    assert reference.pending is None and reference.claimed_by == "bob"


@given(interleavings())
def test_a_redelivered_record_changes_nothing(events: list[HoldEvent]) -> None:
    # The reader stores each record's offset with its changes, so only the latest record
    # of a partition can come again (a crash between the write and the offset is one
    # transaction); applying it twice must change nothing.
    for cut in range(1, len(events) + 1):
        state = fold(events[:cut])
        assert apply_event(state, events[cut - 1]) == state


def test_pending_then_refusal_opens_again_and_resolution_is_terminal() -> None:
    state = fold(DECISIONS + AUDIT[:2])
    assert state is not None and state.status == PENDING
    state = apply_event(state, ev("refusal", "p1"))
    assert state.status == OPEN
    state = apply_event(state, RESOLUTIONS[0])
    later = apply_event(state, ev("resolution", {"outcome": "block"}))
    assert later.resolution == RESOLUTIONS[0].data
    assert apply_event(later, ev("pending", {"event_id": "p9"})).status == RESOLVED


def test_a_refusal_of_another_request_leaves_the_pending_one() -> None:
    state = fold([*DECISIONS, ev("pending", {"event_id": "p2"})])
    assert apply_event(state, ev("refusal", "p1")).status == PENDING


def test_without_its_decision_a_row_is_not_a_hold() -> None:
    state = fold(RESOLUTIONS + ALERTS)
    assert state is not None and not state.is_hold
