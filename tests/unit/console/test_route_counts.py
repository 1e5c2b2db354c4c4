"""The routes report's counts in the console: each hold and block counted once per UTC day
and payment method from its DECISION alert (a redelivered alert counts once), newly linked
identifiers by the day first seen, all from a given day on."""

from __future__ import annotations

from pathlib import Path

import orjson

from streams.console.database import open_engine
from streams.console.route_counts import route_documents
from streams.console.store import ViewStore
from streams.console.view_fold import RouteSeen, changes_of
from streams.kafka.client import Record


def alert(txn: str, decision: str, ts: str, method: str | None) -> Record:
    value = {"kind": "DECISION", "txn_id": txn, "member_id": "acme", "decision": decision}
    value |= {"ts": ts, "payee": {"domain": "x.example"}}
    if method is not None:
        value["method"] = method
    return Record("alerts", 0, 0, b"k", orjson.dumps(value), {}, 0)


def test_alerts_fold_to_route_rows_by_utc_day() -> None:
    changes = changes_of(alert("t1", "block", "2026-12-06T23:30:00-02:00", "crypto"))
    assert RouteSeen("acme", "t1", "block", "crypto", "2026-12-07") in changes
    assert not [c for c in changes_of(alert("t2", "allow", "2026-12-06T10:00:00Z", "card"))
                if isinstance(c, RouteSeen)]  # fmt: skip
    unknown = changes_of(alert("t3", "hold", "2026-12-06T10:00:00Z", "pigeon"))
    assert RouteSeen("acme", "t3", "hold", "other", "2026-12-06") in unknown
    assert not [c for c in changes_of(alert("t4", "hold", "not a time", "card"))
                if isinstance(c, RouteSeen)]  # fmt: skip


def test_the_view_counts_each_decision_once(tmp_path: Path) -> None:
    store = ViewStore(open_engine(f"sqlite:///{tmp_path / 'v.db'}"))
    store.create()
    records = [
        alert("t1", "block", "2026-12-01T10:00:00Z", "card"),
        alert("t1", "block", "2026-12-01T10:00:00Z", "card"),
        alert("t2", "hold", "2026-12-01T11:00:00Z", "card"),
        alert("t3", "hold", "2026-12-05T11:00:00Z", "wallet"),
    ]
    for offset, record in enumerate(records):
        store.apply([(record.topic, 0, offset, changes_of(record))])
    assert store.route_counts() == [
        ("2026-12-01", "card", "block", 1),
        ("2026-12-01", "card", "hold", 1),
        ("2026-12-05", "wallet", "hold", 1),
    ]
    assert store.route_counts("2026-12-02") == [("2026-12-05", "wallet", "hold", 1)]


def test_route_documents_add_new_routes_from_links() -> None:
    links = [
        {"first_seen": "2026-12-03T10:00:00Z", "method": "crypto"},
        {"first_seen": "2026-11-01T10:00:00Z", "method": "crypto"},
        {"first_seen": "garbage", "method": "card"},
    ]
    documents = route_documents([("2026-12-03", "crypto", "block", 2)], links, "2026-12-01")
    assert documents == [
        {"day": "2026-12-03", "method": "crypto", "measure": "blocked", "count": 2},
        {"day": "2026-12-03", "method": "crypto", "measure": "new_routes", "count": 1},
    ]
