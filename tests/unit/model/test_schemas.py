"""The JSON Schemas in schemas/ against their examples and against what the code writes.

Validation uses `jsonschema` (Draft 2020-12) with a registry holding every schema under
its `$id`, so alert.schema.json's `decision.schema.json#/$defs/reason` resolves. The
`date-time` format is asserted (RFC 3339), not just annotated.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from streams.kafka import topics
from streams.model.payment import decode_payment
from streams.offline import synthetic
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import OutRecord, Source
from streams.watchlist.entry import parse_entry
from streams.watchlist.file import read_entries
from streams.watchlist.index import WatchlistIndex
from streams.watchlist.name_index import NameHit
from tests.factories import payment_doc

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_DIR = ROOT / "schemas"
EXAMPLE_DIR = SCHEMA_DIR / "examples"
SAMPLE_WATCHLIST = ROOT / "data" / "sample-watchlist.jsonl"
BASE_URI = "https://schemas.coalition-screening.example/"
NAME_THRESHOLD = 88.0
MEMBERS = ("acme-bank", "northpay", "cardco")

# The contract's message kinds; schemas/ may hold more (each needs an example too).
CONTRACT_KINDS = ("payment", "decision", "alert", "watchlist-entry", "dead-letter")
KINDS = tuple(sorted(p.name.removesuffix(".schema.json") for p in SCHEMA_DIR.glob("*.schema.json")))
EXAMPLE_NAMES = tuple(sorted(p.name for p in EXAMPLE_DIR.glob("*.json")))


def kind_of_example(name: str) -> str:
    """`<kind>.json` or `<kind>-<variant>.json`, the longest matching kind."""
    stem = name.removesuffix(".json")
    matches = [k for k in KINDS if stem == k or stem.startswith(k + "-")]
    assert matches, f"schemas/examples/{name} names no schema"
    return max(matches, key=len)


RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
)


def is_rfc3339(value: object) -> bool:
    """A complete RFC 3339 date-time with an offset, naming a real instant."""
    if not isinstance(value, str) or not RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


FORMATS = FormatChecker()
# jsonschema checks date-time only when rfc3339-validator is installed; assert it here.
FORMATS.checks("date-time")(lambda value: not isinstance(value, str) or is_rfc3339(value))


@cache
def schema(kind: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())
    return loaded


@cache
def registry() -> Registry[Any]:
    resources = [
        (schema(kind)["$id"], Resource.from_contents(schema(kind), DRAFT202012)) for kind in KINDS
    ]
    return Registry().with_resources(resources)


def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(schema(kind), registry=registry(), format_checker=FORMATS)


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLE_DIR / name).read_text(encoding="utf-8"))
    return loaded


def errors(kind: str, document: object) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator(kind).iter_errors(document)
    ]


def sample_index() -> tuple[WatchlistIndex, list[dict[str, Any]]]:
    index = WatchlistIndex()
    documents = []
    for _, document, entry, raw in read_entries(SAMPLE_WATCHLIST):
        index.upsert(entry, raw)
        documents.append(document)
    return index, documents


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


# --- the schemas themselves ----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_a_valid_draft_2020_12_schema(kind: str) -> None:
    document = schema(kind)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == f"{BASE_URI}{kind}.schema.json"


def test_schema_directory_holds_the_contract_kinds() -> None:
    assert set(CONTRACT_KINDS) <= set(KINDS)


def test_every_schema_has_an_example_and_every_example_a_schema() -> None:
    assert {kind_of_example(name) for name in EXAMPLE_NAMES} == set(KINDS)
    for name in ("decision.json", "decision-allow.json", "alert.json", "dead-letter.json"):
        assert name in EXAMPLE_NAMES


def test_alert_reason_ref_resolves_to_the_decision_reason() -> None:
    resolved = (
        registry()
        .resolver(BASE_URI + "alert.schema.json")
        .lookup("decision.schema.json#/$defs/reason")
    )
    assert resolved.contents == schema("decision")["$defs"]["reason"]


# --- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_validates(name: str) -> None:
    assert errors(kind_of_example(name), example(name)) == []


def test_block_example_is_a_block_with_a_watchlist_match() -> None:
    decision = example("decision.json")
    assert decision["decision"] == "block"
    assert [r["code"] for r in decision["reasons"]] == ["WATCHLIST_MATCH"]
    allow = example("decision-allow.json")
    assert allow["decision"] == "allow"
    assert allow["reasons"] == []


def test_payment_example_is_accepted_by_the_decoder() -> None:
    document = example("payment.json")
    payment = decode_payment(orjson.dumps(document), document["member_id"])
    assert payment.txn_id == document["txn_id"]


def test_watchlist_entry_example_is_accepted_by_the_parser() -> None:
    entry = parse_entry(example("watchlist-entry.json"))
    assert entry.rejected == ()
    assert entry.names


def shape(value: Any) -> Any:
    """The fields and JSON types of a document, values aside."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def assert_same_shape(produced: dict[str, Any], documented: dict[str, Any], name: str) -> None:
    assert shape(produced) == shape(documented), (
        f"schemas/examples/{name} no longer has the fields the code writes: update it"
    )
    assert list(produced) == list(documented), f"schemas/examples/{name}: field order"


def test_decision_and_alert_examples_are_shaped_like_the_processor_output() -> None:
    """decision.json and alert.json have the fields, types and formats of the records the
    processor writes for payment.json, and the same verdict."""
    decision, alert, payment = (
        example("decision.json"),
        example("alert.json"),
        example("payment.json"),
    )
    index, _ = sample_index()
    processor = PaymentProcessor(index, NAME_THRESHOLD, clock=lambda: at(decision["decided_at"]))
    member = payment["member_id"]
    source = Source(topics.payments_topic(member), 0, 0, None)
    records = processor.process(orjson.dumps(payment), source, member)
    # The alert first: once the decision is in the log, its alert was handed over.
    assert [r.topic for r in records] == [topics.ALERTS, topics.decisions_topic(member)]
    assert records[1].key == decision["txn_id"].encode()
    assert records[0].key == alert["payee_key"].encode()
    produced_alert, produced_decision = (orjson.loads(r.value) for r in records)
    assert_same_shape(produced_decision, decision, "decision.json")
    assert_same_shape(produced_alert, alert, "alert.json")
    for produced, documented in ((produced_decision, decision), (produced_alert, alert)):
        for field in ("txn_id", "member_id", "decision", "payee_key", "ts"):
            assert produced[field] == documented[field], field
        assert [(r["code"], r["entry_id"]) for r in produced["reasons"]] == [
            (r["code"], r["entry_id"]) for r in documented["reasons"]
        ]
    assert produced_decision["decided_at"] == decision["decided_at"]
    assert produced_alert["raised_at"] == alert["raised_at"]
    assert produced_alert["payee"] == alert["payee"]


def test_allow_example_is_shaped_like_the_processor_output() -> None:
    index, _ = sample_index()
    processor = PaymentProcessor(index, NAME_THRESHOLD)
    payment = next(synthetic.payments(["northpay"], 1, seed=3))
    (record,) = processor.process(
        orjson.dumps(payment), Source("payments.northpay", 0, 0, None), "northpay"
    )
    assert_same_shape(
        orjson.loads(record.value), example("decision-allow.json"), "decision-allow.json"
    )


def test_dead_letter_example_is_what_the_processor_writes() -> None:
    letter = example("dead-letter.json")
    raw = base64.b64decode(letter["original_base64"], validate=True)
    source = Source(
        letter["source_topic"],
        letter["source_partition"],
        letter["source_offset"],
        letter["source_key"].encode(),
    )
    processor = PaymentProcessor(
        WatchlistIndex(), NAME_THRESHOLD, clock=lambda: at(letter["failed_at"])
    )
    (record,) = processor.process(raw, source, topics.member_of(letter["source_topic"]))
    assert record.topic == topics.DLQ_PAYMENTS
    produced = orjson.loads(record.value)
    assert_same_shape(produced, letter, "dead-letter.json")
    # The error text is free prose; everything else is exactly the example.
    assert produced["error"], "a dead letter explains itself"
    produced["error"] = letter["error"]
    assert produced == letter


# --- what the schemas reject ---------------------------------------------------------------


def without(document: dict[str, Any], field: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    del changed[field]
    return changed


def replaced(document: dict[str, Any], **fields: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed.update(fields)
    return changed


def negative_cases() -> Iterator[Any]:
    decision, alert = example("decision.json"), example("alert.json")
    entry, letter = example("watchlist-entry.json"), example("dead-letter.json")
    payment = example("payment.json")
    match_reason = decision["reasons"][0]
    yield pytest.param("decision", without(decision, "txn_id"), id="decision-without-txn_id")
    yield pytest.param("decision", replaced(decision, decision="maybe"), id="decision-maybe")
    yield pytest.param(
        "decision", replaced(decision, decided_at="14/03/2026 09:26"), id="decision-bad-decided_at"
    )
    yield pytest.param(
        "decision",
        replaced(decision, reasons=[{**match_reason, "code": "GUT_FEELING"}]),
        id="decision-unknown-reason-code",
    )
    yield pytest.param(
        "decision",
        replaced(decision, reasons=[without(match_reason, "entry_id")]),
        id="decision-watchlist-match-without-entry_id",
    )
    yield pytest.param("alert", replaced(alert, payer={"id": "c7f3a9e1"}), id="alert-with-payer")
    yield pytest.param("alert", replaced(alert, decision="allow"), id="alert-for-an-allow")
    yield pytest.param(
        "alert",
        replaced(alert, reasons=[without(match_reason, "source")]),
        id="alert-reason-checked-through-ref",
    )
    yield pytest.param(
        "watchlist-entry", replaced(entry, status="pending"), id="watchlist-status-pending"
    )
    yield pytest.param(
        "watchlist-entry", replaced(entry, identifiers=[]), id="watchlist-no-identifiers"
    )
    yield pytest.param(
        "watchlist-entry",
        replaced(entry, identifiers=[{"type": "ssn", "value": "078-05-1120"}]),
        id="watchlist-unknown-identifier-type",
    )
    yield pytest.param(
        "dead-letter", replaced(letter, source_offset=-1), id="dead-letter-negative-offset"
    )
    yield pytest.param(
        "dead-letter", replaced(letter, error_code="OOPS"), id="dead-letter-unknown-code"
    )
    yield pytest.param(
        "payment",
        replaced(payment, payee={"country": "CY", "mcc": "5815"}),
        id="payment-no-payee-identifier",
    )
    yield pytest.param("payment", replaced(payment, amount="12,50"), id="payment-comma-amount")


@pytest.mark.parametrize(("kind", "document"), list(negative_cases()))
def test_invalid_document_is_rejected(kind: str, document: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        validator(kind).validate(document)


# --- real outputs --------------------------------------------------------------------------

SCHEMA_OF_TOPIC = [
    (re.compile(r"^decisions\.[a-z0-9][a-z0-9-]*$"), "decision"),
    (re.compile(r"^alerts$"), "alert"),
    (re.compile(r"^dlq\.payments$"), "dead-letter"),
]


def schema_for(topic: str) -> str:
    for pattern, kind in SCHEMA_OF_TOPIC:
        if pattern.match(topic):
            return kind
    raise AssertionError(f"record on unexpected topic {topic!r}")


class FailingNames:
    """The sample watchlist, except that a name search for `explode` raises (a rule bug)."""

    def __init__(self, index: WatchlistIndex) -> None:
        self.index = index

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)

    def search_names(self, canonical_name: str, threshold: float) -> list[NameHit]:
        if "explode" in canonical_name:
            raise RuntimeError("name index unavailable")
        return self.index.search_names(canonical_name, threshold)


def malformed(member: str) -> list[bytes]:
    good = payment_doc(
        f"{member}-bad",
        member,
        ts="2026-03-14T09:26:53Z",
        amount="10.00",
        payee={"merchant_id": "MID-000001"},
    )
    return [
        b"not json at all",
        b'{"txn_id": "cut-off", "amount": ',
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b"null",
        b"{}",
        orjson.dumps(replaced(good, member_id="someone-else")),
        orjson.dumps(replaced(good, ts="2026-03-14 09:26:53")),
        orjson.dumps(replaced(good, ts="2026-03-14T09:26:53")),
        orjson.dumps(replaced(good, amount="12,50")),
        orjson.dumps(replaced(good, payee={"name": "   "})),
        orjson.dumps(replaced(good, payee={"country": "SE"})),
        orjson.dumps(replaced(good, currency="EURO")),
        b" " * 70_000,
    ]


Output = tuple[OutRecord, Source, bytes]


def produced_records() -> list[Output]:
    index, documents = sample_index()
    processor = PaymentProcessor(FailingNames(index), NAME_THRESHOLD)
    start = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    payments = list(
        synthetic.payments(list(MEMBERS), 900, entries=documents, hit_ratio=0.35, start=start)
    )
    payments.append(
        payment_doc(
            "cardco-explode",
            "cardco",
            ts="2026-03-14T10:00:00+01:00",
            amount=19.99,
            currency="usd",
            payee={"name": "Explode Media", "merchant_id": "MID-424242", "extra": {"x": 1}},
            unknown_field=[1, 2],
        )
    )
    out: list[Output] = []
    offsets: Counter[str] = Counter()

    def feed(raw: bytes, member: str, key: bytes | None) -> None:
        topic = topics.payments_topic(member)
        source = Source(topic, offsets[topic] % 6, offsets[topic], key)
        offsets[topic] += 1
        out.extend((record, source, raw) for record in processor.process(raw, source, member))

    for payment in payments:
        feed(
            orjson.dumps(payment),
            payment["member_id"],
            payment["payer"]["id"].encode() if "payer" in payment else None,
        )
    for member in MEMBERS:
        for raw in malformed(member):
            feed(raw, member, b"\xffbinary-key" if raw.startswith(b"[") else None)
    return out


@cache
def real_outputs() -> tuple[Output, ...]:
    return tuple(produced_records())


def test_every_real_output_validates_against_its_topic_schema() -> None:
    failures = []
    for record, _, _ in real_outputs():
        document = orjson.loads(record.value)
        for problem in errors(schema_for(record.topic), document):
            failures.append(f"{record.topic} {document.get('txn_id', '')}: {problem}")
    assert failures == []


def test_real_outputs_cover_every_record_kind_and_reason() -> None:
    kinds = Counter(schema_for(record.topic) for record, _, _ in real_outputs())
    assert kinds["decision"] >= 900 and kinds["alert"] > 0 and kinds["dead-letter"] > 0
    decisions = [
        orjson.loads(r.value) for r, _, _ in real_outputs() if schema_for(r.topic) == "decision"
    ]
    assert {d["decision"] for d in decisions} == {"allow", "hold", "block"}
    codes = {reason["code"] for d in decisions for reason in d["reasons"]}
    assert {"WATCHLIST_MATCH", "WATCHLIST_NAME_MATCH", "INTERNAL_ERROR"} <= codes
    letters = [
        orjson.loads(r.value) for r, _, _ in real_outputs() if r.topic == topics.DLQ_PAYMENTS
    ]
    assert len({d["error_code"] for d in letters}) >= 7


def test_one_decision_per_payment_and_an_alert_for_every_hold_or_block() -> None:
    decisions: dict[str, dict[str, Any]] = {}
    alerts: dict[str, dict[str, Any]] = {}
    for record, _, _ in real_outputs():
        document = orjson.loads(record.value)
        if schema_for(record.topic) == "decision":
            assert record.topic == topics.decisions_topic(document["member_id"])
            assert record.key == document["txn_id"].encode()
            assert document["txn_id"] not in decisions
            decisions[document["txn_id"]] = document
        elif record.topic == topics.ALERTS:
            assert record.key == (document["payee_key"] or "").encode()
            alerts[document["txn_id"]] = document
    assert set(alerts) == {t for t, d in decisions.items() if d["decision"] != "allow"}
    for txn_id, alert in alerts.items():
        assert alert["reasons"] == decisions[txn_id]["reasons"]
        assert alert["decision"] == decisions[txn_id]["decision"]


def test_real_output_times_are_rfc3339() -> None:
    for record, _, _ in real_outputs():
        document = orjson.loads(record.value)
        for field in ("decided_at", "raised_at", "failed_at", "ts"):
            if field in document:
                assert is_rfc3339(document[field]), (record.topic, field, document[field])


def test_dead_letters_carry_the_original_bytes_and_source() -> None:
    for record, source, raw in real_outputs():
        if record.topic != topics.DLQ_PAYMENTS:
            continue
        document = orjson.loads(record.value)
        original = base64.b64decode(document["original_base64"], validate=True)
        assert (document["source_topic"], document["source_partition"]) == (
            source.topic,
            source.partition,
        )
        assert document["source_offset"] == source.offset
        assert record.key == source.key
        headers = dict(record.headers)
        assert headers["dlq.source.topic"] == source.topic.encode()
        assert headers["dlq.source.offset"] == str(source.offset).encode()
        assert original == raw
