"""Velocity rules (DESIGN.md "Velocity rule"): the schema, parse_rule's validation with
messages that name the field, durations, the published document and content versions."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator

from streams.velocity.rule import (
    MEASURES,
    RuleError,
    parse_duration,
    parse_rule,
    rule_version,
)
from streams.velocity.stages import KEY_KINDS
from tests.factories import decoded_payment, velocity_rule

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "schemas" / "velocity-rule.schema.json").read_text())
EXAMPLE = json.loads((ROOT / "schemas" / "examples" / "velocity-rule.json").read_text())

# The fields of the contract, in schema order.
CONTRACT_FIELDS = (
    "rule_id",
    "description",
    "key",
    "window",
    "measure",
    "threshold",
    "action",
    "mode",
    "enabled",
    "members",
    "amounts",
    "rationale",
)

BASE: dict[str, Any] = {
    "rule_id": "buyers-per-seller",
    "description": "Many distinct buyers paying one seller within an hour.",
    "key": "payee",
    "window": "1h",
    "measure": "distinct_payers",
    "threshold": 20,
    "action": "hold",
}


def with_(**fields: Any) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    document.update(fields)
    return document


def without(field: str) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    del document[field]
    return document


# --- accepted documents ------------------------------------------------------------------


def test_a_minimal_rule_gets_the_defaults() -> None:
    rule = parse_rule(without("description"))
    assert rule.description == ""
    assert (rule.mode, rule.enabled, rule.members, rule.amounts) == ("enforce", True, None, None)
    assert rule.window == timedelta(hours=1) and rule.window_ms == 3_600_000
    assert rule.threshold == Decimal(20)


def test_the_schema_example_parses() -> None:
    rule = parse_rule(EXAMPLE)
    assert rule.rule_id == EXAMPLE["rule_id"]
    assert rule.rationale == EXAMPLE["rationale"]


@pytest.mark.parametrize(
    ("field", "value", "attribute", "expected"),
    [
        ("rule_id", "a", "rule_id", "a"),
        ("rule_id", "Coalition.EU:buyers_per-seller" + "x" * 97, "rule_id", None),
        ("key", "payer", "key", "payer"),
        ("key", "member", "key", "member"),
        ("key", "payee_member", "key", "payee_member"),
        ("window", "500ms", "window", timedelta(milliseconds=500)),
        ("window", "90s", "window", timedelta(seconds=90)),
        ("window", "15m", "window", timedelta(minutes=15)),
        ("window", "24h", "window", timedelta(hours=24)),
        ("window", "90d", "window", timedelta(days=90)),
        ("measure", "count", "measure", "count"),
        ("measure", "sum_amount", "measure", "sum_amount"),
        ("measure", "distinct_members", "measure", "distinct_members"),
        ("threshold", "25", "threshold", Decimal(25)),
        ("threshold", 25.0, "threshold", Decimal(25)),
        ("action", "block", "action", "block"),
        ("action", "alert", "action", "alert"),
        ("mode", "shadow", "mode", "shadow"),
        ("enabled", False, "enabled", False),
        ("members", ["acme-bank", "northpay"], "members", frozenset({"acme-bank", "northpay"})),
        ("rationale", "tuned on 2025 backtests", "rationale", "tuned on 2025 backtests"),
    ],
)
def test_each_field_accepts_its_good_values(
    field: str, value: Any, attribute: str, expected: Any
) -> None:
    document = with_(**{field: value})
    if field == "key":
        document["measure"] = "count"  # distinct payers per payer would always be 1
    rule = parse_rule(document)
    assert getattr(rule, attribute) == (value if expected is None else expected)


def test_money_is_exact_decimal() -> None:
    rule = parse_rule(with_(measure="sum_amount", threshold="1000.10", amounts=[9.99, "19.990"]))
    assert rule.threshold == Decimal("1000.10")
    assert rule.amounts == frozenset({Decimal("9.99"), Decimal("19.99")})
    assert parse_rule(with_(measure="sum_amount", threshold=0.1)).threshold == Decimal("0.1")


def test_a_fractional_count_threshold_is_allowed() -> None:
    assert parse_rule(with_(measure="count", threshold="2.5")).threshold == Decimal("2.5")


# --- rejected documents ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        (without("rule_id"), "rule_id", "missing"),
        (without("key"), "key", "missing"),
        (without("window"), "window", "missing"),
        (without("measure"), "measure", "missing"),
        (without("threshold"), "threshold", "missing"),
        (without("action"), "action", "missing"),
        (with_(rule_id=""), "rule_id", "not a rule id"),
        (with_(rule_id="-leading-dash"), "rule_id", "not a rule id"),
        (with_(rule_id="has space"), "rule_id", "not a rule id"),
        (with_(rule_id="x" * 129), "rule_id", "not a rule id"),
        (with_(rule_id=7), "rule_id", "not a rule id"),
        (with_(description=["no"]), "description", "string"),
        (with_(key="seller"), "key", "'seller' is not one of payee, payer, member, payee_member"),
        (with_(window="5x"), "window", "'5x' is not a duration (use e.g. 90s, 15m, 1h, 24h)"),
        (with_(window="1.5h"), "window", "not a duration"),
        (with_(window="1 h"), "window", "not a duration"),
        (with_(window="-1h"), "window", "not a duration"),
        (with_(window=3600), "window", "not a duration"),
        (with_(window="0s"), "window", "not a positive duration"),
        (with_(window="91d"), "window", "longer than the longest window"),
        (with_(measure="avg"), "measure", "not one of count, sum_amount"),
        (with_(threshold=0), "threshold", "greater than 0"),
        (with_(threshold="0"), "threshold", "greater than 0"),
        (with_(threshold="0.000"), "threshold", "greater than 0"),
        (with_(threshold=-5), "threshold", "greater than 0"),
        (with_(threshold="-5"), "threshold", "greater than 0"),
        (with_(threshold="1e3"), "threshold", "number or decimal string"),
        (with_(threshold="ten"), "threshold", "number or decimal string"),
        (with_(threshold=True), "threshold", "number or decimal string"),
        (with_(threshold=None), "threshold", "number or decimal string"),
        (with_(threshold=float("inf")), "threshold", "not a finite number"),
        (with_(threshold=float("nan")), "threshold", "not a finite number"),
        (with_(threshold="2.5"), "threshold", "whole number"),
        (with_(action="allow"), "action", "not one of hold, block, alert"),
        (with_(mode="dry-run"), "mode", "not one of enforce, shadow"),
        (with_(enabled="yes"), "enabled", "not true or false"),
        (with_(members=[]), "members", "non-empty list"),
        (with_(members="acme-bank"), "members", "non-empty list"),
        (with_(members=["Acme Bank"]), "members", "'Acme Bank' is not a member id"),
        (with_(members=["acme", "acme"]), "members", "twice"),
        (with_(amounts=[]), "amounts", "non-empty list"),
        (with_(amounts=["9,99"]), "amounts", "'9,99' is not a number"),
        (with_(amounts=[True]), "amounts", "True is not a number"),
        (with_(amounts=[float("inf")]), "amounts", "not a finite number"),
        (with_(rationale=3), "rationale", "string"),
        (with_(colour="red"), "colour", "unknown field"),
        (with_(key="payer"), "measure", "always 1"),
        (with_(measure="distinct_members", key="member"), "measure", "always 1"),
        (with_(measure="distinct_members", key="payee_member"), "measure", "always 1"),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    document: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(RuleError) as raised:
        parse_rule(document)
    error = raised.value
    assert error.field == field
    message = str(error)
    assert "\n" not in message
    assert f"{field}: " in message
    assert words in message
    if field != "rule_id":
        assert message.startswith("rule 'buyers-per-seller': ")


def test_the_message_reads_as_the_contract_example() -> None:
    with pytest.raises(RuleError) as raised:
        parse_rule(with_(window="5x"))
    assert str(raised.value) == (
        "rule 'buyers-per-seller': window: '5x' is not a duration (use e.g. 90s, 15m, 1h, 24h)"
    )


@pytest.mark.parametrize("document", [None, [], "rule", 3, [BASE]])
def test_a_rule_must_be_an_object(document: object) -> None:
    with pytest.raises(RuleError, match="a rule must be an object") as raised:
        parse_rule(document)
    assert raised.value.field is None


def test_every_schema_property_is_a_field_of_the_contract() -> None:
    assert set(SCHEMA["properties"]) == set(CONTRACT_FIELDS)
    assert SCHEMA["properties"]["key"]["enum"] == list(KEY_KINDS)
    assert SCHEMA["properties"]["measure"]["enum"] == list(MEASURES)


@pytest.mark.parametrize(
    "document",
    [with_(window="5x"), with_(key="seller"), with_(members=[]), with_(colour=1), without("key")],
)
def test_the_published_schema_refuses_what_the_parser_refuses(document: dict[str, Any]) -> None:
    assert list(Draft202012Validator(SCHEMA).iter_errors(document))


# --- durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500ms", timedelta(milliseconds=500)),
        ("1s", timedelta(seconds=1)),
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("24h", timedelta(days=1)),
        ("7d", timedelta(days=7)),
        ("0090s", timedelta(seconds=90)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "h", "1", "1H", "1hr", "1.5h", "1h30m", " 1h", "1h ", "1h\n", "-1h", "0s", "0ms"]
)
def test_bad_durations_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text).replace("\\", "\\\\")):
        parse_duration(text)


def test_an_absurd_duration_is_an_error_not_an_overflow() -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration("99999999999999d")


# --- the published document --------------------------------------------------------------


def test_document_round_trips() -> None:
    rule = parse_rule(
        with_(
            measure="count",
            threshold="60.0",
            amounts=["49.99", 9.99, "19.990"],
            members=["northpay", "acme-bank"],
            mode="shadow",
            rationale="why",
        )
    )
    document = rule.document()
    assert parse_rule(document) == rule
    assert document["threshold"] == "60"
    assert document["amounts"] == ["9.99", "19.99", "49.99"]
    assert document["members"] == ["acme-bank", "northpay"]
    assert list(document) == list(CONTRACT_FIELDS)
    assert orjson.loads(orjson.dumps(document)) == document  # plain JSON types only
    assert not list(Draft202012Validator(SCHEMA).iter_errors(document))


def test_document_omits_absent_optionals() -> None:
    document = parse_rule(without("description")).document()
    assert set(document) == {
        "rule_id",
        "key",
        "window",
        "measure",
        "threshold",
        "action",
        "mode",
        "enabled",
    }


# --- versions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        with_(threshold="20.0"),
        with_(threshold=20.0),
        with_(threshold="020"),
        with_(window="60m"),
        with_(window="3600s"),
        with_(mode="enforce"),
        with_(enabled=True),
    ],
)
def test_the_same_rule_written_another_way_has_the_same_version(variant: dict[str, Any]) -> None:
    assert parse_rule(variant).version == parse_rule(BASE).version


def test_amount_and_member_order_and_spelling_do_not_change_the_version() -> None:
    one = with_(measure="count", amounts=[9.99, "19.99"], members=["a", "b"])
    other = with_(measure="count", amounts=["19.990", "9.99"], members=["b", "a"])
    assert parse_rule(one).version == parse_rule(other).version


@pytest.mark.parametrize(
    "change",
    [
        {"threshold": 21},
        {"window": "2h"},
        {"enabled": False},
        {"mode": "shadow"},
        {"action": "alert"},
        {"key": "payee_member"},
        {"members": ["acme-bank"]},
        {"amounts": ["9.99"]},
        {"description": "reworded"},
        {"rule_id": "another"},
    ],
)
def test_a_changed_rule_gets_another_version(change: dict[str, Any]) -> None:
    assert parse_rule(with_(**change)).version != parse_rule(BASE).version


def test_version_shape_and_agreement_with_the_document() -> None:
    rule = parse_rule(BASE)
    assert rule.version.startswith("v-") and len(rule.version) == 14
    int(rule.version[2:], 16)
    assert rule_version(rule.document()) == rule.version == rule_version(BASE)


# --- which payments a rule applies to ----------------------------------------------------


def test_applies_to_checks_enabled_and_members() -> None:
    payment = decoded_payment(member_id="acme-bank", payer_id="buyer-1")
    assert velocity_rule().applies_to(payment)
    assert not velocity_rule(enabled=False).applies_to(payment)
    assert velocity_rule(members=["acme-bank"]).applies_to(payment)
    assert not velocity_rule(members=["northpay"]).applies_to(payment)


@pytest.mark.parametrize(
    ("amount", "applies"),
    [("9.99", True), ("9.990", True), (9.99, True), ("19.99", True), ("10.00", False)],
)
def test_price_points_compare_numerically(amount: Any, applies: bool) -> None:
    rule = velocity_rule(amounts=["9.99", 19.99])
    assert rule.applies_to(decoded_payment(amount=amount)) is applies


def test_a_payer_rule_needs_a_payer() -> None:
    rule = velocity_rule(key="payer")
    assert rule.applies_to(decoded_payment(payer_id="buyer-1"))
    assert not rule.applies_to(decoded_payment())
    assert not rule.applies_to(decoded_payment(payer={}))


@pytest.mark.parametrize("key", ["payee", "payee_member"])
def test_a_payee_rule_needs_a_payee_key(key: str) -> None:
    rule = velocity_rule(key=key)
    assert rule.applies_to(decoded_payment())
    assert not rule.applies_to(decoded_payment(payee={"iban": "not an iban"}))


@pytest.mark.parametrize(
    ("key", "stage"),
    [("payee", "payee"), ("payee_member", "payee"), ("payer", "payer"), ("member", "member")],
)
def test_stage_of_each_key(key: str, stage: str) -> None:
    assert velocity_rule(key=key).stage == stage
