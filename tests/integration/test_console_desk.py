"""TopicDesk against the real broker: holds from the topics, claim/resolve/approve writing
the contract's records, four eyes, 409, a rebuild into a fresh database, a new member's
topics noticed, and lookups that never show another member's data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from streams.console.console_settings import ConsoleSettings
from streams.console.database import open_engine
from streams.console.desk import DeskError
from streams.console.roles import (
    AUDITOR,
    COALITION_ANALYST,
    MEMBER_ANALYST,
    MEMBER_SUPERVISOR,
    Principal,
)
from streams.console.topic_desk import TopicDesk
from streams.kafka import admin, topics
from streams.kafka.client import read
from streams.settings import Settings
from tests.factories import payment_bytes
from tests.integration.harness import produce, unique, wait_until

CARD = "4111111111111111"


def _decision(member: str, txn: str, reasons: list[dict[str, object]]) -> bytes:
    return orjson.dumps(
        {
            "txn_id": txn,
            "member_id": member,
            "decision": "hold",
            "reasons": reasons,
            "decided_at": "2026-01-15T10:00:01.000Z",
            "watchlist_version": "v1",
            "payee_key": "merchant_id:SHOP-" + txn,
            "ts": "2026-01-15T10:00:00.000Z",
        }
    )


def _publish_hold(
    settings: Settings, member: str, txn: str, reasons: list[dict[str, object]]
) -> None:
    client = admin.wait_for_broker(settings)
    admin.ensure_member_topics(client, settings, [member])
    payment = payment_bytes(
        txn,
        member,
        payer_id="buyer-secret-1",
        payee={"merchant_id": "SHOP-" + txn, "name": f"Shop {CARD}"},
    )
    produce(settings, topics.payments_topic(member), [(txn.encode(), payment)])
    produce(
        settings, topics.decisions_topic(member), [(txn.encode(), _decision(member, txn, reasons))]
    )


VELOCITY = [{"code": "VELOCITY", "rule_id": "r1", "observed": 5, "threshold": 3}]
MATCH = [
    {"code": "WATCHLIST_MATCH", "entry_id": "e1", "type": "merchant_id", "source": "coalition"}
]


def _desk(settings: Settings, db: Path) -> TopicDesk:
    console = ConsoleSettings(database_url=f"sqlite:///{db}")
    desk = TopicDesk(settings, console, open_engine(console.database_url))
    desk.start()
    return desk


@pytest.fixture
def members(settings: Settings) -> Iterator[tuple[str, str]]:
    yield unique("m1"), unique("m2")


def test_holds_actions_four_eyes_and_rebuild(
    settings: Settings, members: tuple[str, str], tmp_path: Path
) -> None:
    m1, m2 = members
    _publish_hold(settings, m1, "t-block", VELOCITY)
    _publish_hold(settings, m1, "t-match", MATCH)
    _publish_hold(settings, m2, "t-other", VELOCITY)
    analyst = Principal("ann", MEMBER_ANALYST, m1)
    sup1 = Principal("sam", MEMBER_SUPERVISOR, m1)
    sup2 = Principal("sue", MEMBER_SUPERVISOR, m1)
    other = Principal("oscar", MEMBER_SUPERVISOR, m2)
    coalition = Principal("cora", COALITION_ANALYST)
    desk = _desk(settings, tmp_path / "a.db")
    try:
        assert wait_until(desk.ready, 60)
        assert wait_until(lambda: len(desk.holds(analyst, m1, "open")) == 2, 30)
        listed = desk.holds(analyst, m1, "open")
        text = orjson.dumps(listed).decode()
        assert "buyer-secret-1" not in text and CARD not in text
        assert all(h["payer_ref"] and h["status"] == "open" for h in listed)
        assert desk.holds(analyst, m2, "all") == []  # another member: nothing
        with pytest.raises(DeskError) as refused:
            desk.hold(analyst, m2, "t-other")
        assert refused.value.status == 404

        assert desk.claim(analyst, m1, "t-block")["claimed_by"] == "ann"
        status, resolved = desk.resolve(analyst, m1, "t-block", "block", "CONFIRMED_SELLER", "n")
        assert status == 200 and resolved["status"] == "resolved"
        assert resolved["proposal"] is not None
        with pytest.raises(DeskError) as again:
            desk.resolve(analyst, m1, "t-block", "release", "FALSE_POSITIVE", None)
        assert again.value.status == 409

        status, pending = desk.resolve(sup1, m1, "t-match", "release", "FALSE_POSITIVE", None)
        assert status == 202 and pending["status"] == "pending_approval"
        for who in (sup1, analyst):
            with pytest.raises(DeskError) as forbidden:
                desk.approve(who, m1, "t-match", True)
            assert forbidden.value.status == 403
        with pytest.raises(DeskError) as hidden:
            desk.approve(other, m1, "t-match", True)
        assert hidden.value.status == 404
        assert desk.approve(sup2, m1, "t-match", False)["status"] == "open"
        desk.resolve(sup1, m1, "t-match", "release", "FALSE_POSITIVE", None)
        approved = desk.approve(sup2, m1, "t-match", True)
        assert approved["status"] == "resolved"
        assert approved["resolution"]["approved_by"] == "sue"

        records = list(read(settings, [topics.resolutions_topic(m1)], idle_timeout_s=2))
        written = {r.key: orjson.loads(r.value or b"") for r in records}
        assert set(written) == {b"t-block", b"t-match"}
        assert set(written[b"t-block"]) == {
            "txn_id", "member_id", "outcome", "reason_code", "note", "resolved_by",
            "approved_by", "resolved_at", "decision", "watchlist_version",
        }  # fmt: skip
        assert written[b"t-match"]["resolved_by"] == "sam"
        assert written[b"t-match"]["approved_by"] == "sue"

        proposals = desk.proposals(coalition, "open")
        assert [p["txn_id"] for p in proposals if p.get("member_id") == m1] == ["t-block"]
        found = desk.lookup(other, "merchant_id", "shop-t-block")
        assert found["decisions"] == [] and m1 not in orjson.dumps(found).decode()
        mine = desk.lookup(analyst, "merchant_id", "SHOP-T-BLOCK")
        assert [d["txn_id"] for d in mine["decisions"]] == ["t-block"]

        before_holds = desk.holds(coalition, None, "all")
        before_audit = desk.audit(Principal("al", AUDITOR), None, None, 1000)
        before = [desk.hold(analyst, m1, t) for t in ("t-block", "t-match")]
    finally:
        desk.stop()
    desk.stop()  # idempotent

    rebuilt = _desk(settings, tmp_path / "b.db")
    try:
        assert wait_until(rebuilt.ready, 60)
        mine_before = [h for h in before_holds if h["member_id"] in (m1, m2)]
        mine_after = [
            h for h in rebuilt.holds(coalition, None, "all") if h["member_id"] in (m1, m2)
        ]
        assert _without_age(mine_after) == _without_age(mine_before)
        assert _without_age([rebuilt.hold(analyst, m1, t) for t in ("t-block", "t-match")]) == (
            _without_age(before)
        )
        ids = {a["event_id"] for a in before_audit}
        after = {a["event_id"] for a in rebuilt.audit(Principal("al", AUDITOR), None, None, 1000)}
        assert ids <= after
    finally:
        rebuilt.stop()


def _without_age(holds: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in h.items() if k != "age_s"} for h in holds]


def test_new_member_noticed_within_seconds(settings: Settings, tmp_path: Path) -> None:
    desk = _desk(settings, tmp_path / "c.db")
    try:
        assert wait_until(desk.ready, 60)
        member = unique("late")
        _publish_hold(settings, member, "t-1", VELOCITY)
        viewer = Principal("vic", MEMBER_ANALYST, member)
        assert wait_until(lambda: len(desk.holds(viewer, member, "open")) == 1, 10)
        assert b'screening_holds_open{member="' + member.encode() in desk.metrics_text()
    finally:
        desk.stop()
