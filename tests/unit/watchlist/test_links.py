"""Follow the money, offline: links made by payments, held by later ones, one hop only,
lapsing after the configured period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson

from streams.kafka import topics
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import Source
from streams.watchlist.entry import encode_entry, parse_record
from streams.watchlist.index import WatchlistIndex
from streams.watchlist.links import LinkIndex
from tests.factories import identifier, payment_bytes, watchlist_entry

ENTRY = watchlist_entry("wl-site", [identifier("domain", "listed-site.example")], source="hotline")
SUSPECTED = watchlist_entry(
    "wl-sus", [identifier("domain", "suspect.example")], status="suspected", source="hotline"
)


def processor(ttl_days: float = 30, *documents: dict[str, Any]) -> PaymentProcessor:
    index = WatchlistIndex()
    for document in (ENTRY, SUSPECTED, *documents):
        index.upsert(parse_record(document), encode_entry(document))
    return PaymentProcessor(index, 88.0, links=LinkIndex(timedelta(days=ttl_days)))


def run(
    proc: PaymentProcessor,
    txn: str,
    payee: dict[str, str],
    ts: str,
    member: str = "m1",
    method: str = "card",
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    raw = payment_bytes(txn, member, ts=ts, method=method, payer_id="buyer-1", payee=payee)
    records = proc.process(raw, Source("stdin", 0, 0, None), None)
    decision = next(orjson.loads(r.value) for r in records if r.topic.startswith("decisions."))
    alerts = [orjson.loads(r.value) for r in records if r.topic == topics.ALERTS]
    links = [orjson.loads(r.value) for r in records if r.topic == topics.LINKS]
    return decision, alerts, links


def test_listed_site_through_unlisted_merchant_links_the_merchant() -> None:
    proc = processor()
    first, alerts, links = run(
        proc,
        "t1",
        {"url": "https://listed-site.example/buy", "merchant_id": "NEW-MID-1"},
        "2026-11-01T10:00:00Z",
    )
    assert first["decision"] == "block"
    assert [link["identifier"] for link in links] == ["merchant_id:NEW-MID-1"]
    routes = [a for a in alerts if a["kind"] == "NEW_ROUTE"]
    assert len(routes) == 1
    assert routes[0]["entry_id"] == "wl-site"
    assert routes[0]["identifier"] == {"type": "merchant_id", "value": "NEW-MID-1"}
    assert routes[0]["method"] == "card" and routes[0]["member_id"] == "m1"
    assert "buyer-1" not in orjson.dumps(routes[0]).decode()

    later, alerts, _ = run(
        proc, "t2", {"merchant_id": " new-mid-1 "}, "2026-11-05T10:00:00Z", member="m2"
    )
    assert later["decision"] == "hold"
    (reason,) = later["reasons"]
    assert reason["code"] == "WATCHLIST_LINK"
    assert reason["entry_id"] == "wl-site"
    # t1 was another member's payment: its id is not m2's to see.
    assert "linked_by_txn" not in reason and "t1" not in orjson.dumps(later).decode()
    assert not [a for a in alerts if a["kind"] == "NEW_ROUTE"]


def test_a_link_names_its_payment_to_the_member_that_made_it() -> None:
    proc = processor()
    run(
        proc,
        "t1",
        {"url": "https://listed-site.example/", "merchant_id": "M-9"},
        "2026-11-01T10:00:00Z",
    )
    later, _, _ = run(proc, "t2", {"merchant_id": "M-9"}, "2026-11-02T10:00:00Z")
    (reason,) = later["reasons"]
    assert reason["code"] == "WATCHLIST_LINK" and reason["linked_by_txn"] == "t1"


def test_second_linking_payment_raises_no_second_new_route() -> None:
    proc = processor()
    payee = {"domain": "listed-site.example", "wallet_address": "bc1qexampleaddress0000"}
    _, alerts1, _ = run(proc, "t1", payee, "2026-11-01T10:00:00Z")
    _, alerts2, links2 = run(proc, "t2", payee, "2026-11-02T10:00:00Z")
    assert sum(a["kind"] == "NEW_ROUTE" for a in alerts1) == 1
    assert sum(a["kind"] == "NEW_ROUTE" for a in alerts2) == 0
    assert links2[0]["count"] == 2 and links2[0]["last_txn"] == "t2"


def test_two_hops_away_is_not_held() -> None:
    proc = processor()
    run(
        proc, "t1", {"domain": "listed-site.example", "merchant_id": "HOP1"}, "2026-11-01T10:00:00Z"
    )
    via_link, _, links = run(
        proc,
        "t2",
        {"merchant_id": "HOP1", "iban": "DE89370400440532013000"},
        "2026-11-02T10:00:00Z",
    )
    assert via_link["decision"] == "hold"
    assert links == []  # a link never makes another link
    two_hops, _, _ = run(proc, "t3", {"iban": "DE89370400440532013000"}, "2026-11-03T10:00:00Z")
    assert two_hops["decision"] == "allow"


def test_link_lapses_after_the_period_without_evidence() -> None:
    proc = processor(ttl_days=30)
    run(proc, "t1", {"domain": "listed-site.example", "merchant_id": "OLD"}, "2026-01-01T00:00:00Z")
    inside, _, _ = run(proc, "t2", {"merchant_id": "OLD"}, "2026-01-30T00:00:00Z")
    assert inside["decision"] == "hold"
    after, _, _ = run(proc, "t3", {"merchant_id": "OLD"}, "2026-02-01T00:00:00Z")
    assert after["decision"] == "allow"


def test_suspected_match_links_nothing() -> None:
    proc = processor()
    decision, _, links = run(
        proc, "t1", {"domain": "suspect.example", "merchant_id": "X1"}, "2026-11-01T10:00:00Z"
    )
    assert decision["decision"] == "hold" and links == []


def test_revoked_entry_ends_its_links() -> None:
    proc = processor()
    run(proc, "t1", {"domain": "listed-site.example", "merchant_id": "R1"}, "2026-11-01T10:00:00Z")
    revoked = {**ENTRY, "status": "revoked"}
    assert isinstance(proc.watchlist, WatchlistIndex)
    proc.watchlist.upsert(parse_record(revoked), encode_entry(revoked))
    decision, _, _ = run(proc, "t2", {"merchant_id": "R1"}, "2026-11-02T10:00:00Z")
    assert decision["decision"] == "allow"


def test_link_never_blocks_even_when_the_entry_blocks() -> None:
    proc = processor()
    run(
        proc,
        "t1",
        {"domain": "listed-site.example", "email": "shop@mail.example"},
        "2026-11-01T10:00:00Z",
    )
    decision, _, _ = run(proc, "t2", {"email": "SHOP@mail.example"}, "2026-11-02T10:00:00Z")
    assert decision["decision"] == "hold"


def test_redelivered_linking_payment_counts_once() -> None:
    proc = processor()
    payee = {"domain": "listed-site.example", "phone": "+46 8 123 456 78"}
    run(proc, "t1", payee, "2026-11-01T10:00:00Z")
    run(proc, "t1", payee, "2026-11-01T10:00:00Z")
    assert proc.links is not None
    link = proc.links.get("phone:+46812345678", "wl-site")
    assert link is not None and link.count == 1
