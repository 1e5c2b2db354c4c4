"""Contributors stay anonymous: an entry contributed by a coalition member is named
`coalition` in decisions and alerts; an authority's entry keeps its source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from streams.kafka import topics
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import OutRecord, Source
from streams.rules.disclosure import named_source
from streams.settings import Settings
from streams.watchlist.entry import encode_entry, parse_entry, parse_record
from streams.watchlist.hashed_entry import hashed_document
from streams.watchlist.index import WatchlistIndex
from streams.watchlist.links import LinkIndex
from tests.factories import identifier, payment_bytes, watchlist_entry

KEY = b"coalition-test-key-0123456789"
CLOCK = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BY_MEMBER = watchlist_entry(
    "wl-acme-1",
    [identifier("domain", "listed-site.example"), identifier("name", "Lumen Media Holdings")],
    source="acme",
)
BY_AUTHORITY = watchlist_entry("wl-ncmec-1", [identifier("merchant_id", "MID-7")], source="ncmec")


def processor(*documents: dict[str, Any], key: bytes | None = None) -> PaymentProcessor:
    index = WatchlistIndex()
    for document in documents:
        index.upsert(parse_record(document), encode_entry(document))
    return PaymentProcessor(
        index,
        88.0,
        clock=lambda: CLOCK,
        coalition_key=key,
        links=LinkIndex(timedelta(days=30)),
        members=frozenset({"acme", "beta"}),
    )


def run(
    proc: PaymentProcessor, payee: dict[str, str], txn: str = "t1", member: str = "beta"
) -> list[OutRecord]:
    raw = payment_bytes(txn, member, ts="2026-11-23T10:00:00Z", payee=payee)
    return proc.process(raw, Source(topics.payments_topic(member), 0, 0, None), member)


def reasons(records: list[OutRecord]) -> list[dict[str, Any]]:
    value = next(r.value for r in records if r.topic.startswith(topics.DECISIONS_PREFIX))
    found: list[dict[str, Any]] = orjson.loads(value)["reasons"]
    return found


def alert_texts(records: list[OutRecord]) -> str:
    return b"\n".join(r.value for r in records if r.topic == topics.ALERTS).decode()


@pytest.mark.parametrize(
    ("source", "members", "named"),
    [
        ("acme", {"acme", "beta"}, "coalition"),
        ("ncmec", {"acme", "beta"}, "ncmec"),
        ("acme", set(), "acme"),
    ],
)
def test_named_source(source: str, members: set[str], named: str) -> None:
    assert named_source(source, members) == named


def test_exact_match_on_a_member_contribution_names_the_coalition() -> None:
    records = run(processor(BY_MEMBER), {"url": "https://listed-site.example/x"})
    (reason,) = reasons(records)
    assert reason["code"] == "WATCHLIST_MATCH" and reason["source"] == "coalition"
    assert reason["entry_id"] == "wl-acme-1"  # a normal entry is still named
    assert '"acme"' not in alert_texts(records)


def test_name_match_on_a_member_contribution_names_the_coalition() -> None:
    (reason,) = reasons(run(processor(BY_MEMBER), {"name": "Lumen Media Holdings Ltd"}))
    assert reason["code"] == "WATCHLIST_NAME_MATCH" and reason["source"] == "coalition"


def test_link_to_a_member_contribution_names_the_coalition() -> None:
    proc = processor(BY_MEMBER)
    run(proc, {"domain": "listed-site.example", "merchant_id": "NEW-1"}, txn="t1")
    (reason,) = reasons(run(proc, {"merchant_id": "NEW-1"}, txn="t2"))
    assert reason["code"] == "WATCHLIST_LINK" and reason["source"] == "coalition"


def test_hashed_member_contribution_names_the_coalition() -> None:
    hashed, _ = hashed_document(BY_MEMBER, parse_entry(BY_MEMBER), KEY)
    (reason,) = reasons(run(processor(hashed, key=KEY), {"domain": "listed-site.example"}))
    assert reason["hashed"] is True and reason["source"] == "coalition"


def test_an_authority_stays_named() -> None:
    (reason,) = reasons(run(processor(BY_AUTHORITY), {"merchant_id": "MID-7"}))
    assert reason["source"] == "ncmec"


def test_the_contributor_screening_its_own_payment_sees_the_coalition_too() -> None:
    (reason,) = reasons(run(processor(BY_MEMBER), {"domain": "listed-site.example"}, member="acme"))
    assert reason["source"] == "coalition"


def test_members_come_from_settings_and_grow_as_members_are_served() -> None:
    settings = Settings.from_env({"SCREENING_MEMBERS": "acme,beta"})
    proc = PaymentProcessor.from_settings(WatchlistIndex(), settings)
    assert proc.members == {"acme", "beta"}
    proc.serve_members(["gamma"])
    assert proc.members == {"acme", "beta", "gamma"}


def test_offline_screening_counts_each_payment_member_as_a_member() -> None:
    index = WatchlistIndex()
    index.upsert(parse_record(BY_MEMBER), encode_entry(BY_MEMBER))
    proc = PaymentProcessor(index, 88.0, clock=lambda: CLOCK)
    payee = {"domain": "listed-site.example"}
    offline = Source("stdin", 0, 0, None)
    before = proc.process(payment_bytes("t1", "beta", payee=payee), offline, None)
    assert reasons(before)[0]["source"] == "acme"  # acme not seen yet, no SCREENING_MEMBERS
    proc.process(payment_bytes("t2", "acme", payee={"merchant_id": "x"}), offline, None)
    after = proc.process(payment_bytes("t3", "beta", payee=payee), offline, None)
    assert reasons(after)[0]["source"] == "coalition"


def test_redelivery_after_a_new_member_is_identical() -> None:
    proc = processor(BY_MEMBER)
    payee = {"domain": "listed-site.example"}
    first = run(proc, payee)
    proc.serve_members(["gamma"])
    assert run(proc, payee) == first
