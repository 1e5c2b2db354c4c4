"""Sealed entries (a law-enforcement embargo): the match applies its effect, but no record a
member receives names the entry, its source, its listed values or its reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from streams.kafka import topics
from streams.model.schemas import validator
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import OutRecord, Source
from streams.rules import disclosure
from streams.watchlist import links as links_module
from streams.watchlist.entry import EntryError, encode_entry, parse_entry, parse_record
from streams.watchlist.hashed_entry import hashed_document
from streams.watchlist.index import WatchlistIndex
from streams.watchlist.links import LinkIndex
from streams.watchlist.parse_cache import from_row, to_row
from tests.factories import identifier, payment_bytes, watchlist_entry

KEY = b"coalition-test-key-0123456789"
CLOCK = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SEALED_IBAN = "DE89 3704 0044 0532 0130 00"
SEALED = watchlist_entry(
    "le-embargo-7",
    [identifier("iban", SEALED_IBAN), identifier("name", "Velvet Orchid Studios")],
    source="europol-efc",
    reference="OP-NIGHTJAR-44",
    visibility="sealed",
)
# What would tip a seller off if a member's record carried it: the entry, its source and
# reference anywhere; its listed values in a reason (the payee itself is the member's own).
SECRETS = ("le-embargo-7", "europol-efc", "OP-NIGHTJAR")
LISTED = ("DE89370400440532013000", "DE89 3704", "Velvet Orchid Studios")


def processor(*documents: dict[str, Any], key: bytes | None = None) -> PaymentProcessor:
    index = WatchlistIndex()
    for document in documents:
        index.upsert(parse_record(document), encode_entry(document))
    proc = PaymentProcessor(
        index, 88.0, clock=lambda: CLOCK, coalition_key=key, links=LinkIndex(timedelta(days=30))
    )
    proc.serve_members(["m1", "m2"])
    return proc


def run(
    proc: PaymentProcessor, payee: dict[str, str], txn: str = "t1", member: str = "m1"
) -> list[OutRecord]:
    raw = payment_bytes(txn, member, ts="2026-11-23T10:00:00Z", payer_id="buyer-1", payee=payee)
    return proc.process(raw, Source(topics.payments_topic(member), 0, 0, None), member)


def decision_of(records: list[OutRecord]) -> dict[str, Any]:
    value = next(r.value for r in records if r.topic.startswith(topics.DECISIONS_PREFIX))
    document: dict[str, Any] = orjson.loads(value)
    return document


def member_visible(records: list[OutRecord]) -> str:
    """Everything a member may come to read: its decision and the alerts."""
    return b"\n".join(
        r.value for r in records if r.topic == topics.ALERTS or r.topic.startswith("decisions.")
    ).decode()


def assert_nothing_named(records: list[OutRecord]) -> None:
    text = member_visible(records)
    for secret in SECRETS:
        assert secret not in text
    documents = [orjson.loads(r.value) for r in records if r.topic != topics.LINKS]
    reasons = orjson.dumps([d.get("reasons") for d in documents]).decode()
    for value in LISTED:
        assert value not in reasons


def test_visibility_defaults_to_normal_and_anything_else_is_invalid() -> None:
    assert parse_entry(watchlist_entry()).sealed is False
    assert parse_entry(watchlist_entry(visibility="normal")).sealed is False
    assert parse_entry(SEALED).sealed is True
    with pytest.raises(EntryError, match="visibility"):
        parse_entry(watchlist_entry(visibility="secret"))


def test_parse_cache_keeps_the_seal() -> None:
    parsed = (parse_entry(SEALED), encode_entry(SEALED))
    assert from_row(to_row(parsed)) == parsed


def test_exact_match_on_a_sealed_entry_blocks_and_names_nothing() -> None:
    records = run(processor(SEALED), {"iban": "de89370400440532013000", "merchant_id": "MID-9"})
    decision = decision_of(records)
    assert decision["decision"] == "block"
    assert decision["reasons"] == [
        {
            "code": "WATCHLIST_SEALED",
            "action": "block",
            "payee_field": "iban",
            "message": "sealed: contact the coalition",
        }
    ]
    validator("decision")(decision)
    alert = orjson.loads(next(r.value for r in records if r.topic == topics.ALERTS))
    assert alert["reasons"] == decision["reasons"]
    validator("alert")(alert)
    assert_nothing_named(records)


def test_suspected_sealed_entry_holds() -> None:
    decision = decision_of(
        run(processor({**SEALED, "status": "suspected"}), {"iban": "DE89370400440532013000"})
    )
    assert decision["decision"] == "hold"
    assert [r["code"] for r in decision["reasons"]] == ["WATCHLIST_SEALED"]


def test_name_match_on_a_sealed_entry_holds_and_names_neither_entry_nor_name() -> None:
    records = run(processor(SEALED), {"name": "VELVET ORCHID STUDIO LTD"})
    decision = decision_of(records)
    assert decision["decision"] == "hold"
    assert decision["reasons"] == [
        {
            "code": "WATCHLIST_SEALED",
            "action": "hold",
            "payee_field": "name",
            "message": disclosure.SEALED_MESSAGE,
        }
    ]
    assert_nothing_named(records)


def test_revoked_or_expired_sealed_entry_has_no_effect() -> None:
    for document in (
        {**SEALED, "status": "revoked"},
        {**SEALED, "expires_at": "2026-01-01T00:00:00Z"},
    ):
        assert decision_of(run(processor(document), {"iban": SEALED_IBAN}))["decision"] == "allow"


def test_hashed_sealed_entry_matches_like_the_clear_one_and_names_nothing() -> None:
    hashed, _ = hashed_document(SEALED, parse_entry(SEALED), KEY)
    records = run(processor(hashed, key=KEY), {"iban": "DE89370400440532013000"})
    decision = decision_of(records)
    assert decision["decision"] == "block"
    (reason,) = decision["reasons"]
    assert reason["code"] == "WATCHLIST_SEALED" and "hashed" not in reason
    assert_nothing_named(records)
    assert hashed["identifiers"][0]["value"] not in member_visible(records)


def test_a_sealed_match_makes_no_link_and_no_new_route() -> None:
    records = run(processor(SEALED), {"iban": SEALED_IBAN, "merchant_id": "NEW-MID-1"})
    assert [r for r in records if r.topic == topics.LINKS] == []
    assert all(
        orjson.loads(r.value)["kind"] != "NEW_ROUTE" for r in records if r.topic == topics.ALERTS
    )


def test_an_identifier_that_matched_a_sealed_entry_is_not_linked_to_another_entry() -> None:
    normal = watchlist_entry("wl-site", [identifier("domain", "listed-site.example")])
    records = run(processor(SEALED, normal), {"iban": SEALED_IBAN, "domain": "listed-site.example"})
    assert [r for r in records if r.topic == topics.LINKS] == []
    assert links_module.SEALED_CODE == disclosure.SEALED_CODE


def test_link_to_an_entry_sealed_later_holds_with_the_sealed_reason() -> None:
    listed = watchlist_entry("le-embargo-7", [identifier("domain", "listed-site.example")])
    proc = processor(listed)
    run(proc, {"domain": "listed-site.example", "merchant_id": "NEW-MID-1"}, txn="t1")
    sealed = {**listed, "source": "europol-efc", "visibility": "sealed"}
    assert isinstance(proc.watchlist, WatchlistIndex)
    proc.watchlist.upsert(parse_record(sealed), encode_entry(sealed))
    records = run(proc, {"merchant_id": "new-mid-1"}, txn="t2", member="m2")
    decision = decision_of(records)
    assert decision["decision"] == "hold"
    assert decision["reasons"] == [
        {
            "code": "WATCHLIST_SEALED",
            "action": "hold",
            "payee_field": "merchant_id",
            "message": disclosure.SEALED_MESSAGE,
        }
    ]
    assert "t1" not in decision_of(records)["reasons"][0].values()
    assert_nothing_named(records)


def test_two_sealed_entries_on_one_field_read_as_one_reason() -> None:
    twin = {**SEALED, "entry_id": "le-embargo-8"}
    decision = decision_of(run(processor(SEALED, twin), {"iban": SEALED_IBAN}))
    assert [r["code"] for r in decision["reasons"]] == ["WATCHLIST_SEALED"]


def test_a_member_override_of_a_sealed_entry_still_lifts_its_hold() -> None:
    suspected = {**SEALED, "status": "suspected"}
    override = {
        "entry_id": "ovr-m1",
        "kind": "override",
        "member_id": "m1",
        "overrides": "le-embargo-7",
        "identifiers": [identifier("iban", SEALED_IBAN)],
        "source": "coalition analyst",
    }
    proc = processor(suspected, override)
    assert decision_of(run(proc, {"iban": SEALED_IBAN}))["decision"] == "allow"
    assert decision_of(run(proc, {"iban": SEALED_IBAN}, member="m2"))["decision"] == "hold"


def test_redelivered_payment_gets_identical_records() -> None:
    proc = processor(SEALED)
    payee = {"iban": SEALED_IBAN, "name": "Velvet Orchid Studios"}
    first = run(proc, payee)
    assert run(proc, payee) == first
    # a restarted worker that decides it again (nothing remembered) writes the same bytes
    assert run(processor(SEALED), payee) == first
