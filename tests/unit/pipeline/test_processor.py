"""End to end through PaymentProcessor with an in-memory watchlist: payment bytes in, the
records the pipeline writes out (DESIGN.md "Decision (output)" semantics, "Topics")."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from streams.model.payer_ref import payer_ref
from streams.model.payment import decode_payment
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import OutRecord, Source
from streams.rules import watchlist_match
from streams.rules.base import RuleResult, ScreeningContext
from streams.rules.policy import decide
from streams.rules.verdict import screen
from streams.settings import Settings
from streams.watchlist.entry import ListedIdentifier, WatchlistEntry, encode_entry, parse_entry
from streams.watchlist.index import WatchlistIndex
from streams.watchlist.name_index import NameHit
from tests.factories import identifier, payment_bytes, watchlist_entry

THRESHOLD = Settings().name_match_threshold
TS = "2026-01-15T10:00:00Z"
TS_AT = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
CLOCK_AT = datetime(2026, 1, 15, 10, 0, 2, 500000, tzinfo=UTC)
SOURCE = Source("payments.acme", 3, 42, b"src-key")
PAYER_ID = "payer-SECRET-4711"
# What these tests' payments carry besides their txn_id and payee.
CARD_PAYMENT: dict[str, Any] = {"amount": "29.00", "method": "card", "payer_id": PAYER_ID}
NAME_ENTRY = watchlist_entry(
    "wl-name", [identifier("name", "Darkpix Media Ltd")], source="hotline-se"
)

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas"


@cache
def schema(kind: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())
    return loaded


@cache
def registry() -> Registry:
    return Registry().with_resources(
        (schema(k)["$id"], Resource.from_contents(schema(k)))
        for k in ("decision", "alert", "dead-letter")
    )


def validate(kind: str, document: Any) -> None:
    Draft202012Validator(schema(kind), registry=registry()).validate(document)


# ---------------------------------------------------------------- helpers


def watchlist(*documents: dict[str, Any]) -> WatchlistIndex:
    index = WatchlistIndex()
    for document in documents:
        index.upsert(parse_entry(document), encode_entry(document))
    return index


def processor(index: Any, clock_at: datetime = CLOCK_AT) -> PaymentProcessor:
    return PaymentProcessor(index, THRESHOLD, clock=lambda: clock_at)


def process(
    index: Any,
    payee: dict[str, str],
    member: str | None = "acme",
    txn_id: str = "txn-1",
    **overrides: Any,
) -> list[OutRecord]:
    """The records of a card payment to `payee` (CARD_PAYMENT, with `overrides`) read from
    SOURCE for `member`."""
    raw = payment_bytes(txn_id, payee=payee, **(CARD_PAYMENT | overrides))
    return processor(index).process(raw, SOURCE, member)


def decision_of(records: list[OutRecord]) -> dict[str, Any]:
    decisions = [r for r in records if r.topic.startswith("decisions.")]
    assert len(decisions) == 1, "exactly one decision per payment"
    document: dict[str, Any] = orjson.loads(decisions[0].value)
    validate("decision", document)
    return document


def alerts_of(records: list[OutRecord]) -> list[OutRecord]:
    return [r for r in records if r.topic == "alerts"]


def decide_payee(index: Any, payee: dict[str, str], **overrides: Any) -> dict[str, Any]:
    return decision_of(process(index, payee, **overrides))


# ---------------------------------------------------------------- exact identifier matches

# (listed identifier, payee that writes the same identifier differently)
VARIANTS: list[tuple[dict[str, str], dict[str, str]]] = [
    ({"type": "merchant_id", "value": "MID-778812"}, {"merchant_id": " mid-778812 "}),
    (
        {"type": "merchant_id", "value": "MID-778812"},
        {"merchant_id": "mid-778812", "acquirer_id": "acq-1"},
    ),
    (
        {"type": "merchant_id", "value": "MID-1", "acquirer_id": "ACQ-9"},
        {"merchant_id": "mid-1", "acquirer_id": " acq-9 "},
    ),
    ({"type": "card_acceptor_id", "value": "CA0099887766"}, {"card_acceptor_id": "ca0099887766  "}),
    ({"type": "iban", "value": "DE89 3704 0044 0532 0130 00"}, {"iban": "de89370400440532013000"}),
    ({"type": "iban", "value": "DE89370400440532013000"}, {"iban": "DE89-3704-0044-0532-0130-00"}),
    ({"type": "account", "value": "1234-5678-90"}, {"account": "1234 5678 90"}),
    (
        {"type": "wallet_address", "value": "0x52908400098527886e0f7030069857d2e4169ee7"},
        {"wallet_address": "0x52908400098527886E0F7030069857D2E4169EE7"},
    ),
    (
        {"type": "wallet_address", "value": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"},
        {"wallet_address": "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ"},
    ),
    (
        {"type": "wallet_address", "value": "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"},
        {"wallet_address": " 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 "},
    ),
    (
        {"type": "domain", "value": "darkpix-store.com"},
        {"url": "https://WWW.Darkpix-Store.com:8443/members/1?p=1#x"},
    ),
    ({"type": "domain", "value": "darkpix-store.com"}, {"domain": "DARKPIX-STORE.COM."}),
    ({"type": "domain", "value": "darkpix-store.com"}, {"domain": "shop.darkpix-store.com"}),
    ({"type": "domain", "value": "darkpix-store.com"}, {"url": "http://a.b.darkpix-store.com/"}),
    ({"type": "domain", "value": "www.darkpix-store.co.uk"}, {"domain": "cdn.darkpix-store.co.uk"}),
    ({"type": "domain", "value": "bücher.de"}, {"url": "https://www.xn--bcher-kva.de/x"}),
    ({"type": "domain", "value": "xn--bcher-kva.de"}, {"domain": "BÜCHER.de"}),
    ({"type": "url", "value": "https://www.vidvault.com/store/1"}, {"domain": "vidvault.com"}),
    (
        {"type": "url", "value": "https://www.vidvault.com/store/1"},
        {"url": "http://vidvault.com:80/"},
    ),
    (
        {"type": "domain", "value": "darkpix-store.example"},
        {"domain": "shop.darkpix-store.example."},
    ),
    (
        {"type": "domain", "value": "darkpix-store.example"},
        {"url": "https://WWW.darkpix-store.example/members/7"},
    ),
    (
        {"type": "email", "value": "sales@vidvault.example"},
        {"email": "mailto:Sales@VidVault.Example"},
    ),
    ({"type": "email", "value": "sales@vidvault.example"}, {"email": " SALES@VIDVAULT.EXAMPLE "}),
    ({"type": "phone", "value": "+46 70 123 45 67"}, {"phone": "0046701234567"}),
    ({"type": "phone", "value": "+46 70 123 45 67"}, {"phone": "070-123 45 67", "country": "SE"}),
    ({"type": "phone", "value": "070 123 45 67", "country": "SE"}, {"phone": "+46701234567"}),
]


@pytest.mark.parametrize(
    ("listed", "payee"),
    VARIANTS,
    ids=[f"{listed['value']}<-{'|'.join(payee.values())}" for listed, payee in VARIANTS],
)
def test_confirmed_block_matched_by_variant_spelling_blocks(
    listed: dict[str, str], payee: dict[str, str]
) -> None:
    index = watchlist(
        watchlist_entry("wl-7", [listed], source="europol-efc", reference="case-1"),
        watchlist_entry("wl-other", [{"type": "iban", "value": "GB82 WEST 1234 5698 7654 32"}]),
    )
    decision = decide_payee(index, payee)
    assert decision["decision"] == "block"
    [reason] = decision["reasons"]
    assert reason["code"] == "WATCHLIST_MATCH"
    assert reason["entry_id"] == "wl-7"
    assert reason["type"] == listed["type"]
    assert reason["source"] == "europol-efc"


NON_MATCHES: list[tuple[dict[str, str], dict[str, str]]] = [
    (
        {"type": "wallet_address", "value": "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"},
        {"wallet_address": "1bvbmseystwetqtfn5au4m4gfg7xjanvn2"},  # base58 is case-sensitive
    ),
    ({"type": "domain", "value": "shop.listed.com"}, {"domain": "listed.com"}),  # parent
    ({"type": "domain", "value": "shop.listed.com"}, {"domain": "other.listed.com"}),  # sibling
    ({"type": "domain", "value": "listed.com"}, {"domain": "notlisted.com"}),
    ({"type": "domain", "value": "listed.com"}, {"url": "https://listed.com.evil.org/"}),
    ({"type": "domain", "value": "listed.com"}, {"domain": "listed.co"}),
    ({"type": "domain", "value": "listed.example"}, {"domain": "listed.example.org"}),
    ({"type": "domain", "value": "evil.github.io"}, {"url": "https://good.github.io/"}),
    (
        {"type": "merchant_id", "value": "MID-1", "acquirer_id": "ACQ-9"},
        {"merchant_id": "MID-1", "acquirer_id": "ACQ-1"},
    ),
    ({"type": "iban", "value": "DE89 3704 0044 0532 0130 00"}, {"iban": "GB82WEST12345698765432"}),
    ({"type": "email", "value": "sales@vidvault.example"}, {"email": "sales@vidvault.example.org"}),
    ({"type": "email", "value": "sales@vidvault.example"}, {"email": "info@vidvault.example"}),
    ({"type": "phone", "value": "+46 70 123 45 67"}, {"phone": "+46 70 123 45 68"}),
    ({"type": "account", "value": "1234567890"}, {"account": "1234567891"}),
]


@pytest.mark.parametrize(
    ("listed", "payee"),
    NON_MATCHES,
    ids=[f"{listed['value']}<-{'|'.join(payee.values())}" for listed, payee in NON_MATCHES],
)
def test_different_identifier_allows(listed: dict[str, str], payee: dict[str, str]) -> None:
    index = watchlist(watchlist_entry("wl-7", [listed]))
    records = process(index, {**payee, "name": "Corner Shop 17"})
    decision = decision_of(records)
    assert decision["decision"] == "allow"
    assert decision["reasons"] == []
    assert alerts_of(records) == []


def test_invalid_payee_identifier_never_matches_a_listed_one() -> None:
    # a mod-97 failure must not be "repaired" into the listed IBAN
    index = watchlist(
        watchlist_entry("wl-7", [{"type": "iban", "value": "GB82WEST12345698765432"}])
    )
    decision = decide_payee(index, {"iban": "GB82WEST12345698765433", "merchant_id": "M"})
    assert decision["decision"] == "allow"


# ---------------------------------------------------------------- status and expiry

IBAN_LISTED = [{"type": "iban", "value": "DE89 3704 0044 0532 0130 00"}]
IBAN_PAYEE = {"iban": "de89 3704 0044 0532 0130 00"}


@pytest.mark.parametrize(
    ("status", "action", "decision"),
    [
        ("confirmed", "block", "block"),
        ("confirmed", "hold", "hold"),
        ("suspected", "block", "hold"),
        ("suspected", "hold", "hold"),
        ("revoked", "block", "allow"),
        ("revoked", "hold", "allow"),
    ],
)
def test_status_decides_effect(status: str, action: str, decision: str) -> None:
    index = watchlist(watchlist_entry("wl-7", IBAN_LISTED, action=action, status=status))
    result = decide_payee(index, IBAN_PAYEE)
    assert result["decision"] == decision
    if decision == "allow":
        assert result["reasons"] == []
    else:
        [reason] = result["reasons"]
        assert reason["code"] == "WATCHLIST_MATCH"
        assert reason["entry_id"] == "wl-7"
        assert reason["type"] == "iban"
        assert reason["source"] == "ncmec"
        assert reason["status"] == status


def test_suspected_reason_says_hold() -> None:
    index = watchlist(watchlist_entry("wl-7", IBAN_LISTED, status="suspected"))
    [reason] = decide_payee(index, IBAN_PAYEE)["reasons"]
    assert reason["action"] == "hold"


def test_expired_entry_allows() -> None:
    index = watchlist(watchlist_entry("wl-7", IBAN_LISTED, expires_at="2026-01-01T00:00:00Z"))
    assert decide_payee(index, IBAN_PAYEE)["decision"] == "allow"


def test_expired_suspected_entry_allows() -> None:
    index = watchlist(
        watchlist_entry("wl-7", IBAN_LISTED, status="suspected", expires_at="2026-01-01T00:00:00Z")
    )
    assert decide_payee(index, IBAN_PAYEE)["decision"] == "allow"


def test_expiry_is_judged_at_event_time_not_wall_clock() -> None:
    index = watchlist(watchlist_entry("wl-7", IBAN_LISTED, expires_at="2026-02-01T00:00:00Z"))
    late_clock = processor(index, clock_at=datetime(2027, 6, 1, tzinfo=UTC))
    # event time before expiry: still blocks, however late it is decided
    decision = decision_of(
        late_clock.process(payment_bytes("txn-1", payee=IBAN_PAYEE, **CARD_PAYMENT), SOURCE, "acme")
    )
    assert decision["decision"] == "block"
    # event time after expiry: no effect, even if decided "before" it on the wall clock
    early_clock = processor(index, clock_at=datetime(2026, 1, 1, tzinfo=UTC))
    later_payment = payment_bytes(
        "txn-2", payee=IBAN_PAYEE, ts="2026-03-01T00:00:00Z", **CARD_PAYMENT
    )
    assert decision_of(early_clock.process(later_payment, SOURCE, "acme"))["decision"] == "allow"


# ---------------------------------------------------------------- name matches


@pytest.mark.parametrize(
    "written",
    [
        "Darkpix Media Ltd",
        "Darkpix Media",
        "DARKPIX MEDIA LIMITED",
        "Media Darkpix",
        "Darkpx Media",
    ],
)
def test_name_match_holds_never_blocks(written: str) -> None:
    records = process(watchlist(NAME_ENTRY), {"name": written})
    decision = decision_of(records)
    assert decision["decision"] == "hold"
    [reason] = decision["reasons"]
    assert reason["code"] == "WATCHLIST_NAME_MATCH"
    assert reason["entry_id"] == "wl-name"
    assert reason["listed_name"] == "Darkpix Media Ltd"
    assert reason["source"] == "hotline-se"
    assert THRESHOLD <= reason["score"] <= 100
    assert len(alerts_of(records)) == 1


def test_exact_name_scores_100_and_still_only_holds() -> None:
    decision = decide_payee(watchlist(NAME_ENTRY), {"name": "Darkpix Media Ltd"})
    assert decision["decision"] == "hold"
    assert decision["reasons"][0]["score"] == 100


def test_typo_scores_below_exact() -> None:
    index = watchlist(NAME_ENTRY)
    exact = decide_payee(index, {"name": "Darkpix Media"})["reasons"][0]["score"]
    typo = decide_payee(index, {"name": "Darkpx Media"})["reasons"][0]["score"]
    assert THRESHOLD <= typo < exact


def test_name_of_entry_with_identifiers_only_holds_when_identifiers_differ() -> None:
    index = watchlist(
        watchlist_entry(
            "wl-7",
            [
                {"type": "iban", "value": "DE89370400440532013000"},
                {"type": "name", "value": "Acme"},
            ],
        )
    )
    decision = decide_payee(index, {"name": "ACME Ltd", "iban": "GB82WEST12345698765432"})
    assert decision["decision"] == "hold"
    assert [r["code"] for r in decision["reasons"]] == ["WATCHLIST_NAME_MATCH"]


def test_unrelated_name_allows() -> None:
    decision = decide_payee(watchlist(NAME_ENTRY), {"name": "Corner Shop 17"})
    assert decision["decision"] == "allow"


@pytest.mark.parametrize(
    "overrides", [{"status": "revoked"}, {"expires_at": "2026-01-01T00:00:00Z"}]
)
def test_name_of_dead_entry_allows(overrides: dict[str, Any]) -> None:
    decision = decide_payee(watchlist({**NAME_ENTRY, **overrides}), {"name": "Darkpix Media"})
    assert decision["decision"] == "allow"


def test_name_of_suspected_entry_holds() -> None:
    decision = decide_payee(
        watchlist({**NAME_ENTRY, "status": "suspected"}), {"name": "Darkpix Media"}
    )
    assert decision["decision"] == "hold"


# ---------------------------------------------------------------- policy through the pipeline


def test_block_beats_hold() -> None:
    index = watchlist(
        watchlist_entry("wl-suspect", IBAN_LISTED, status="suspected"),
        watchlist_entry("wl-block", [{"type": "email", "value": "sales@vidvault.example"}]),
        NAME_ENTRY,
    )
    decision = decide_payee(
        index, {**IBAN_PAYEE, "email": "Sales@VidVault.example", "name": "Darkpix Media"}
    )
    assert decision["decision"] == "block"
    codes = [(r["code"], r["entry_id"], r["action"]) for r in decision["reasons"]]
    assert codes[0] == ("WATCHLIST_MATCH", "wl-block", "block")
    assert set(codes[1:]) == {
        ("WATCHLIST_MATCH", "wl-suspect", "hold"),
        ("WATCHLIST_NAME_MATCH", "wl-name", "hold"),
    }


def test_exact_block_with_name_hold_of_same_entry_blocks() -> None:
    index = watchlist(
        watchlist_entry(
            "wl-7", [*IBAN_LISTED, {"type": "name", "value": "Darkpix Media Ltd"}], source="ncmec"
        )
    )
    decision = decide_payee(index, {**IBAN_PAYEE, "name": "Darkpix Media"})
    assert decision["decision"] == "block"
    assert decision["reasons"][0]["code"] == "WATCHLIST_MATCH"


def test_revoked_entry_does_not_mask_another_live_one() -> None:
    index = watchlist(
        watchlist_entry("wl-old", IBAN_LISTED, status="revoked"),
        watchlist_entry("wl-new", IBAN_LISTED, status="suspected"),
    )
    decision = decide_payee(index, IBAN_PAYEE)
    assert decision["decision"] == "hold"
    assert [r["entry_id"] for r in decision["reasons"]] == ["wl-new"]


# ---------------------------------------------------------------- internal errors


def boom(payment: Any, context: ScreeningContext) -> list[RuleResult]:
    raise RuntimeError("rule exploded")


def always_block(payment: Any, context: ScreeningContext) -> list[RuleResult]:
    return [RuleResult("WATCHLIST_MATCH", "block", {"entry_id": "wl-x", "type": "iban"})]


def context(index: Any) -> ScreeningContext:
    return ScreeningContext(index, TS_AT, THRESHOLD)


def a_payment() -> Any:
    return decode_payment(payment_bytes(payee={"merchant_id": "MID-1"}))


def test_rule_that_raises_holds_with_internal_error() -> None:
    verdict = screen(a_payment(), context(watchlist()), rules=(("boom", boom),))
    assert verdict.decision == "hold"
    [reason] = verdict.reasons
    assert reason["code"] == "INTERNAL_ERROR"
    assert reason["rule"] == "boom"
    assert "rule exploded" in reason["error"]


def test_rule_that_raises_does_not_stop_other_rules() -> None:
    verdict = screen(
        a_payment(), context(watchlist()), rules=(("boom", boom), ("always_block", always_block))
    )
    assert verdict.decision == "block"
    assert {r["code"] for r in verdict.reasons} == {"INTERNAL_ERROR", "WATCHLIST_MATCH"}


def test_real_rule_over_broken_watchlist_holds() -> None:
    class BrokenWatchlist(WatchlistIndex):
        def lookup(self, key: str) -> list[tuple[WatchlistEntry, ListedIdentifier]]:
            raise OSError("table unavailable")

        def search_names(self, canonical_name: str, threshold: float) -> list[NameHit]:
            raise OSError("table unavailable")

    records = process(BrokenWatchlist(), {"merchant_id": "MID-1", "name": "Acme"})
    decision = decision_of(records)
    assert decision["decision"] == "hold"
    assert {r["code"] for r in decision["reasons"]} == {"INTERNAL_ERROR"}
    assert len(alerts_of(records)) == 1


def test_screen_with_default_rules_uses_watchlist() -> None:
    index = watchlist(watchlist_entry("wl-7", [{"type": "merchant_id", "value": "MID-1"}]))
    assert screen(a_payment(), context(index)).decision == "block"
    assert screen(a_payment(), context(index), rules=()).decision == "allow"
    only_exact = (("watchlist_match", watchlist_match.check),)
    assert screen(a_payment(), context(index), rules=only_exact).decision == "block"


# ---------------------------------------------------------------- dead letters

MALFORMED: list[tuple[bytes, str, str | None]] = [
    (b"{not json", "INVALID_JSON", "acme"),
    (b'{"txn_id": "\xff"}', "INVALID_UTF8", "acme"),
    (b"[1, 2, 3]", "NOT_AN_OBJECT", "acme"),
    (payment_bytes(payee={"merchant_id": "M"}, amount="lots"), "SCHEMA", "acme"),
    (
        payment_bytes(payee={"merchant_id": "M"}, ts="yesterday at noon"),
        "INVALID_TIMESTAMP",
        "acme",
    ),
    (payment_bytes(payee={"merchant_id": "   ", "name": " "}), "NO_PAYEE_IDENTIFIER", "acme"),
    (payment_bytes(payee={"merchant_id": "M"}, member_id="bank-2"), "MEMBER_MISMATCH", "acme"),
    (b"{" + b" " * 70_000 + b"}", "OVERSIZED", "acme"),
]


@pytest.mark.parametrize(("raw", "code", "member"), MALFORMED, ids=[m[1] for m in MALFORMED])
def test_malformed_payment_is_one_dead_letter_with_source(
    raw: bytes, code: str, member: str | None
) -> None:
    records = processor(watchlist()).process(raw, SOURCE, member)
    assert len(records) == 1
    [record] = records
    assert record.topic == "dlq.payments"
    assert record.key == SOURCE.key
    value = orjson.loads(record.value)
    validate("dead-letter", value)
    assert value["error_code"] == code
    assert value["error"]
    assert value["source_topic"] == "payments.acme"
    assert value["source_partition"] == 3
    assert value["source_offset"] == 42
    assert base64.b64decode(value["original_base64"]) == raw
    headers = dict(record.headers)
    assert headers["dlq.source.topic"] == b"payments.acme"
    assert headers["dlq.source.partition"] == b"3"
    assert headers["dlq.source.offset"] == b"42"
    assert headers["dlq.error"]


def test_dead_letter_without_source_key() -> None:
    source = Source("payments.bank-2", 0, 0, None)
    [record] = processor(watchlist()).process(b"nope", source, "bank-2")
    assert record.topic == "dlq.payments"
    assert record.key is None
    value = orjson.loads(record.value)
    assert value["source_topic"] == "payments.bank-2"
    assert value["source_offset"] == 0


def test_dead_letter_is_not_a_decision_nor_an_alert() -> None:
    records = processor(watchlist()).process(b"{", SOURCE, "acme")
    assert all(not r.topic.startswith("decisions.") and r.topic != "alerts" for r in records)


# ---------------------------------------------------------------- redelivery


def blocking_index() -> WatchlistIndex:
    return watchlist(watchlist_entry("wl-7", IBAN_LISTED), NAME_ENTRY)


def test_redelivered_payment_gets_byte_identical_records() -> None:
    index = blocking_index()
    times = iter([CLOCK_AT, CLOCK_AT + timedelta(seconds=30), CLOCK_AT + timedelta(hours=2)])
    proc = PaymentProcessor(index, THRESHOLD, clock=lambda: next(times))
    raw = payment_bytes("txn-1", payee={**IBAN_PAYEE, "name": "Darkpix Media"}, **CARD_PAYMENT)
    first = proc.process(raw, SOURCE, "acme")
    second = proc.process(raw, Source("payments.acme", 3, 43, b"src-key"), "acme")
    assert [(r.topic, r.key, r.value, r.headers) for r in first] == [
        (r.topic, r.key, r.value, r.headers) for r in second
    ]
    assert len(first) == 2


def test_redelivery_after_watchlist_change_keeps_first_decision() -> None:
    index = blocking_index()
    proc = processor(index)
    raw = payment_bytes("txn-1", payee=IBAN_PAYEE, **CARD_PAYMENT)
    first = proc.process(raw, SOURCE, "acme")
    index.delete("wl-7")
    again = proc.process(raw, SOURCE, "acme")
    assert [r.value for r in again] == [r.value for r in first]


def test_redelivery_to_another_worker_gets_same_decision() -> None:
    raw = payment_bytes("txn-1", payee={**IBAN_PAYEE, "name": "Darkpix Media"}, **CARD_PAYMENT)
    one = decision_of(processor(blocking_index()).process(raw, SOURCE, "acme"))
    later = CLOCK_AT + timedelta(minutes=5)
    other = decision_of(processor(blocking_index(), clock_at=later).process(raw, SOURCE, "acme"))
    for field in ("txn_id", "member_id", "decision", "reasons", "watchlist_version"):
        assert one[field] == other[field]


def test_same_txn_id_with_different_content_is_decided_afresh() -> None:
    proc = processor(blocking_index())
    blocked = decision_of(
        proc.process(payment_bytes("txn-1", payee=IBAN_PAYEE, **CARD_PAYMENT), SOURCE, "acme")
    )
    clean = decision_of(
        proc.process(
            payment_bytes("txn-1", payee={"merchant_id": "CLEAN"}, **CARD_PAYMENT), SOURCE, "acme"
        )
    )
    assert blocked["decision"] == "block"
    assert clean["decision"] == "allow"


def test_same_txn_id_of_two_members_are_two_payments() -> None:
    proc = processor(blocking_index())
    a = proc.process(payment_bytes("txn-1", payee=IBAN_PAYEE, **CARD_PAYMENT), SOURCE, "acme")
    b = proc.process(
        payment_bytes("txn-1", payee={"merchant_id": "CLEAN"}, member_id="bank-2", **CARD_PAYMENT),
        Source("payments.bank-2", 0, 1, None),
        "bank-2",
    )
    assert decision_of(a)["decision"] == "block"
    assert decision_of(b)["decision"] == "allow"
    assert decision_of(b)["member_id"] == "bank-2"


# ---------------------------------------------------------------- alerts

SCENARIOS = {
    "allow": {"merchant_id": "CLEAN-1", "name": "Corner Shop 17"},
    "hold": {"name": "Darkpix Media"},
    "block": {**IBAN_PAYEE, "name": "Darkpix Media"},
}


@pytest.mark.parametrize("expected", ["allow", "hold", "block"])
def test_alert_exactly_for_hold_and_block(expected: str) -> None:
    records = process(blocking_index(), SCENARIOS[expected])
    assert decision_of(records)["decision"] == expected
    assert len(alerts_of(records)) == (0 if expected == "allow" else 1)
    assert len(records) == (1 if expected == "allow" else 2)


@pytest.mark.parametrize("expected", ["hold", "block"])
def test_alert_has_payee_evidence_and_the_payer_only_as_a_keyed_ref(expected: str) -> None:
    key = b"deployment-payer-key-0123456789"
    keyed = PaymentProcessor(blocking_index(), THRESHOLD, clock=lambda: CLOCK_AT, payer_key=key)
    records = keyed.process(
        payment_bytes("txn-1", payee=SCENARIOS[expected], **CARD_PAYMENT), SOURCE, "acme"
    )
    [alert_record] = alerts_of(records)
    alert = orjson.loads(alert_record.value)
    validate("alert", alert)
    assert PAYER_ID.encode() not in alert_record.value
    assert b'"payer":' not in alert_record.value
    assert PAYER_ID.encode() not in (alert_record.key or b"")
    assert alert["payer_ref"] == payer_ref("acme", PAYER_ID, key) != payer_ref("acme", PAYER_ID)
    decision = decision_of(records)
    assert alert["decision"] == decision["decision"] == expected
    assert alert["reasons"] == decision["reasons"]
    assert alert["txn_id"] == "txn-1"
    assert alert["member_id"] == "acme"
    assert alert["payee_key"] == decision["payee_key"]
    assert alert["payee"]


def test_alert_keyed_by_payee_key() -> None:
    [alert] = alerts_of(process(blocking_index(), SCENARIOS["block"]))
    assert alert.key == b"iban:DE89370400440532013000"


# ---------------------------------------------------------------- decision document


def test_decision_record_is_keyed_by_txn_id_on_member_topic() -> None:
    records = process(blocking_index(), SCENARIOS["allow"], txn_id="txn-77")
    [record] = [r for r in records if r.topic.startswith("decisions.")]
    assert record.topic == "decisions.acme"
    assert record.key == b"txn-77"


def test_decision_member_topic_offline_takes_member_as_given() -> None:
    records = process(blocking_index(), SCENARIOS["allow"], member=None, member_id="bank-2")
    assert [r.topic for r in records] == ["decisions.bank-2"]


def test_decision_document_fields() -> None:
    index = blocking_index()
    records = process(index, SCENARIOS["block"], txn_id="txn-9")
    decision = decision_of(records)
    assert decision["txn_id"] == "txn-9"
    assert decision["member_id"] == "acme"
    assert decision["decision"] == "block"
    assert decision["watchlist_version"] == index.version
    decided_at = datetime.fromisoformat(decision["decided_at"].replace("Z", "+00:00"))
    assert decided_at == CLOCK_AT
    assert decided_at.utcoffset() == timedelta(0)
    assert all("code" in r for r in decision["reasons"])
    match = next(r for r in decision["reasons"] if r["code"] == "WATCHLIST_MATCH")
    assert (match["entry_id"], match["type"], match["source"]) == ("wl-7", "iban", "ncmec")
    name = next(r for r in decision["reasons"] if r["code"] == "WATCHLIST_NAME_MATCH")
    assert name["listed_name"] == "Darkpix Media Ltd"
    assert isinstance(name["score"], int | float)


def test_decision_allow_has_no_reasons() -> None:
    decision = decide_payee(blocking_index(), SCENARIOS["allow"])
    assert decision["decision"] == "allow"
    assert decision["reasons"] == []


def test_watchlist_version_follows_the_list() -> None:
    index = blocking_index()
    proc = processor(index)
    first = decision_of(
        proc.process(
            payment_bytes("txn-1", payee=SCENARIOS["allow"], **CARD_PAYMENT), SOURCE, "acme"
        )
    )
    index.upsert(
        parse_entry(watchlist_entry("wl-new", [{"type": "domain", "value": "x.com"}])),
        encode_entry(watchlist_entry("wl-new", [{"type": "domain", "value": "x.com"}])),
    )
    second = decision_of(
        proc.process(
            payment_bytes("txn-2", payee=SCENARIOS["allow"], **CARD_PAYMENT), SOURCE, "acme"
        )
    )
    assert first["watchlist_version"] != second["watchlist_version"] == index.version


def test_unknown_fields_are_kept_out_of_outputs() -> None:
    records = process(
        blocking_index(),
        {**SCENARIOS["block"], "x_secret_note": "zz-unknown-payee-zz"},
        x_internal="zz-unknown-top-zz",
    )
    for record in records:
        assert b"zz-unknown" not in record.value


def test_every_payment_gets_exactly_one_decision() -> None:
    proc = processor(blocking_index())
    payees = [SCENARIOS["allow"], SCENARIOS["hold"], SCENARIOS["block"]] * 3
    for i, payee in enumerate(payees):
        records = proc.process(payment_bytes(f"t-{i}", payee=payee, **CARD_PAYMENT), SOURCE, "acme")
        assert decision_of(records)["txn_id"] == f"t-{i}"


# ---------------------------------------------------------------- policy.decide


def result(code: str, effect: str, entry_id: str = "") -> RuleResult:
    return RuleResult(code, effect, {"entry_id": entry_id} if entry_id else {})


def test_decide_nothing_allows() -> None:
    verdict = decide([])
    assert verdict.decision == "allow"
    assert verdict.reasons == ()


@pytest.mark.parametrize(
    ("effects", "decision"),
    [
        (["alert"], "allow"),
        (["hold"], "hold"),
        (["block"], "block"),
        (["hold", "block"], "block"),
        (["block", "hold"], "block"),
        (["alert", "hold"], "hold"),
        (["alert", "hold", "block", "alert"], "block"),
        (["hold", "hold"], "hold"),
    ],
)
def test_decide_block_beats_hold_beats_allow(effects: list[str], decision: str) -> None:
    verdict = decide(result("VELOCITY", e, f"r{i}") for i, e in enumerate(effects))
    assert verdict.decision == decision
    assert len(verdict.reasons) == len(effects)


def test_decide_reasons_strongest_first_then_deterministic() -> None:
    results = [
        result("WATCHLIST_NAME_MATCH", "hold", "e-2"),
        result("VELOCITY", "alert", "r-1"),
        result("WATCHLIST_MATCH", "hold", "e-9"),
        result("WATCHLIST_MATCH", "block", "e-5"),
        result("WATCHLIST_MATCH", "hold", "e-1"),
        result("INTERNAL_ERROR", "hold"),
    ]
    verdict = decide(results)
    assert verdict.decision == "block"
    assert [(r["action"], r["code"], r.get("entry_id")) for r in verdict.reasons] == [
        ("block", "WATCHLIST_MATCH", "e-5"),
        ("hold", "INTERNAL_ERROR", None),
        ("hold", "WATCHLIST_MATCH", "e-1"),
        ("hold", "WATCHLIST_MATCH", "e-9"),
        ("hold", "WATCHLIST_NAME_MATCH", "e-2"),
        ("alert", "VELOCITY", "r-1"),
    ]
    assert decide(reversed(results)) == verdict


def test_decide_reason_carries_code_action_and_evidence() -> None:
    [reason] = decide([RuleResult("VELOCITY", "hold", {"rule_id": "r1", "observed": 5})]).reasons
    assert reason == {"code": "VELOCITY", "action": "hold", "rule_id": "r1", "observed": 5}


def test_decide_accepts_a_generator() -> None:
    assert decide(result("WATCHLIST_MATCH", "hold", e) for e in ("e1", "e2")).decision == "hold"
