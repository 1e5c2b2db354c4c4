"""One hold's state as the topics tell it, and the pure, order-safe merge of its events.

A hold's events come from several topics (`decisions.<m>`, `payments.<m>`, `alerts`,
`audit`, `resolutions.<m>`, `console.proposals`) whose relative order is not fixed: a
rebuild may read a resolution before the decision it resolves. `apply_event` is written so
that any interleaving that keeps each topic's own order gives the same state: every event
fills its own fields, `resolution` is terminal (the first one wins and clears a pending
one), and the events whose order matters (pending, refusal) share one audit partition.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

OPEN = "open"
PENDING = "pending_approval"
RESOLVED = "resolved"

Json = dict[str, Any]


@dataclass(frozen=True)
class HoldState:
    """What the view knows of one (member, txn_id): the engine's hold decision (None
    until read: such a row is not yet a hold), the payment evidence and the desk's part."""

    member: str
    txn_id: str
    decision: Json | None = None
    alert: Json | None = None
    payment: Json | None = None
    claimed_by: str | None = None
    pending: Json | None = None
    resolution: Json | None = None
    override: Json | None = None
    proposal_id: str | None = None

    @property
    def status(self) -> str:
        """`resolved` once a resolution is read; `pending_approval` while a release waits
        for a second person; `open` otherwise."""
        if self.resolution is not None:
            return RESOLVED
        return PENDING if self.pending is not None else OPEN

    @property
    def is_hold(self) -> bool:
        """True once the engine's hold decision has been read."""
        return self.decision is not None


@dataclass(frozen=True)
class HoldEvent:
    """One fact about a hold: `kind` is decision, alert, payment, claim, pending, refusal,
    resolution, override or proposal; `data` its document (or a user / an id)."""

    member: str
    txn_id: str
    kind: str
    data: Any


def apply_event(state: HoldState | None, event: HoldEvent) -> HoldState:
    """Consumes the current state (None for a new key) and one event; produces the state
    after it. Idempotent: applying the same event twice changes nothing more."""
    current = state or HoldState(event.member, event.txn_id)
    kind, data = event.kind, event.data
    if kind == "decision":
        return replace(current, decision=current.decision or data)
    if kind == "alert":
        return replace(current, alert=current.alert or data)
    if kind == "payment":
        return replace(current, payment=current.payment or data)
    if kind == "claim":
        return replace(current, claimed_by=data)
    if kind == "pending":
        return current if current.resolution is not None else replace(current, pending=data)
    if kind == "refusal":
        pending = current.pending
        if pending is not None and pending.get("event_id") == data:
            return replace(current, pending=None)
        return current
    if kind == "resolution":
        if current.resolution is not None:
            return current
        return replace(current, resolution=data, pending=None)
    if kind == "override":
        return replace(current, override=current.override or data)
    if kind == "proposal":
        return replace(current, proposal_id=current.proposal_id or data)
    raise ValueError(f"unknown hold event {kind!r}")
