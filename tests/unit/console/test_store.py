"""The SQL view: records of several topics applied in either order give the same holds;
a payment read before its decision reaches the hold; offsets are kept with the changes."""

from __future__ import annotations

from pathlib import Path

import orjson

from streams.console.database import open_engine
from streams.console.store import ViewStore
from streams.console.view_fold import changes_of
from streams.kafka.client import Record
from tests.factories import payment_bytes

DECISION = {
    "txn_id": "t-1",
    "member_id": "acme",
    "decision": "hold",
    "reasons": [{"code": "VELOCITY"}],
    "decided_at": "2026-01-15T10:00:00Z",
    "payee_key": "merchant_id:MID-1",
}
RESOLUTION = {"txn_id": "t-1", "member_id": "acme", "outcome": "block"}
CLAIM = {"event_id": "e", "at": "2026", "user": "ann", "action": "claim", "target": "acme/t-1"}


def records() -> list[Record]:
    def rec(topic: str, value: object) -> Record:
        raw = value if isinstance(value, bytes) else orjson.dumps(value)
        return Record(topic, 0, 0, b"t-1", raw, {}, 0)

    return [
        rec("payments.acme", payment_bytes("t-1", "acme", payer_id="b")),
        rec("decisions.acme", DECISION),
        rec("audit", CLAIM),
        rec("resolutions.acme", RESOLUTION),
    ]


def build(path: Path, ordered: list[Record]) -> ViewStore:
    store = ViewStore(open_engine(f"sqlite:///{path}"))
    store.create()
    for r in ordered:
        store.apply([(r.topic, r.partition, r.offset, changes_of(r))])
    return store


def test_topic_order_does_not_change_the_view(tmp_path: Path) -> None:
    forward = build(tmp_path / "a.db", records())
    backward = build(tmp_path / "b.db", records()[::-1])
    a, b = forward.hold("acme", "t-1"), backward.hold("acme", "t-1")
    assert a == b and a is not None
    assert a.status == "resolved" and a.claimed_by == "ann" and a.payment is not None
    assert forward.offsets()[("audit", 0)] == 1
    assert [d["txn_id"] for d in forward.decisions_for("acme", ["merchant_id:MID-1"])] == ["t-1"]
    assert forward.decisions_for("other", ["merchant_id:MID-1"]) == []
    assert forward.audit(target="acme/t-1")[0]["user"] == "ann"
