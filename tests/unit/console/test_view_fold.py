"""From records to view changes: payments masked with the payer as a ref, holds from hold
decisions only, audit records to hold events."""

from __future__ import annotations

import orjson

from streams.console.hold_state import HoldEvent
from streams.console.view_fold import (
    AuditAdded,
    DecisionRead,
    DecisionSeen,
    EntryPut,
    LinkPut,
    PaymentSeen,
    changes_of,
)
from streams.kafka.client import Record
from streams.model.payer_ref import payer_ref
from tests.factories import payment_bytes

CARD = "4111111111111111"


def record(topic: str, value: object, key: bytes | None = b"k") -> Record:
    raw = value if isinstance(value, bytes) or value is None else orjson.dumps(value)
    return Record(topic, 0, 7, key, raw, {}, 1_700_000_000_000)


def test_a_payment_is_masked_and_its_payer_only_a_ref() -> None:
    raw = payment_bytes("t-1", "acme", payer_id="buyer-9", payee={"name": f"Shop {CARD}"})
    (seen,) = changes_of(record("payments.acme", raw), payer_key=b"k" * 32)
    assert isinstance(seen, PaymentSeen)
    text = orjson.dumps(seen.document).decode()
    assert CARD not in text and "buyer-9" not in text and "payer" not in seen.document
    assert seen.document["payer_ref"] == payer_ref("acme", "buyer-9", b"k" * 32)
    assert seen.keys and all(k.startswith("name:") for k in seen.keys)


def test_a_payment_of_another_member_on_the_topic_is_ignored() -> None:
    assert changes_of(record("payments.acme", payment_bytes("t-1", "other"))) == []


def test_only_hold_decisions_make_holds_and_blocks_are_kept_for_lookups() -> None:
    def decision(kind: str) -> dict[str, object]:
        return {
            "txn_id": "t",
            "member_id": "acme",
            "decision": kind,
            "reasons": [],
            "decided_at": "2026-01-15T10:00:00Z",
            "payee_key": "merchant_id:m",
        }

    allow = changes_of(record("decisions.acme", decision("allow")))
    assert [type(c) for c in allow] == [DecisionRead]
    block = changes_of(record("decisions.acme", decision("block")))
    assert [type(c) for c in block] == [DecisionSeen, DecisionRead]
    hold = changes_of(record("decisions.acme", decision("hold")))
    assert [type(c) for c in hold] == [DecisionSeen, HoldEvent, DecisionRead]


def test_bad_records_change_nothing() -> None:
    for topic in ("decisions.acme", "alerts", "audit", "resolutions.acme", "watchlist.links"):
        assert changes_of(record(topic, b"not json")) == []
        assert changes_of(record(topic, [1, 2])) == []


def test_audit_records_carry_hold_events() -> None:
    audit = {"event_id": "e", "at": "x", "user": "ann", "action": "claim", "target": "acme/t-1"}
    changes = changes_of(record("audit", audit))
    assert isinstance(changes[0], AuditAdded)
    assert changes[1] == HoldEvent("acme", "t-1", "claim", "ann")
    refusal = {**audit, "action": "approval", "after": {"approve": False, "pending_event": "p"}}
    assert changes_of(record("audit", refusal))[1] == HoldEvent("acme", "t-1", "refusal", "p")
    login = {**audit, "action": "login", "target": None}
    assert len(changes_of(record("audit", login))) == 1


def test_entries_links_and_tombstones() -> None:
    entry = {
        "entry_id": "e1",
        "identifiers": [{"type": "iban", "value": "GB82 WEST 1234 5698 7654 32"}],
        "action": "block",
        "status": "confirmed",
        "source": "acme",
    }
    (put,) = changes_of(record("watchlist", entry, b"e1"))
    assert isinstance(put, EntryPut) and put.keys == ("iban:GB82WEST12345698765432",)
    assert changes_of(record("watchlist", None, b"e1")) == [EntryPut("e1", None, (), put.at_ms)]
    assert changes_of(record("watchlist.links", None, b"domain:x.com|e1")) == [
        LinkPut("domain:x.com", "e1", None)
    ]
