"""Decoding payments (DESIGN.md "Payment (input)"): a valid payment becomes a `Payment`,
every kind of bad input a `PaymentError` with a stable code, never another exception."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.model.payee import PAYEE_IDENTIFIER_FIELDS
from streams.model.payment import (
    MAX_PAYMENT_BYTES,
    PaymentError,
    decode_payment,
    payment_from_document,
)
from tests.factories import payment_bytes, payment_doc

REQUIRED = ("txn_id", "member_id", "ts", "amount", "currency", "payee")


def code_of(data: bytes, member: str | None = None) -> str:
    with pytest.raises(PaymentError) as info:
        decode_payment(data, member)
    assert str(info.value), "a PaymentError must say why"
    return info.value.code


# ---------------------------------------------------------------- valid payments


def test_valid_payment_fields() -> None:
    payment = decode_payment(
        payment_bytes(
            method="card",
            payer={"id": "payer-1"},
            payee={"merchant_id": "mid-1", "name": "Acme Ltd", "mcc": "5411"},
        ),
        "acme",
    )
    assert payment.txn_id == "t-1"
    assert payment.member_id == "acme"
    assert payment.ts == datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    assert payment.amount == Decimal("9.99")
    assert payment.currency == "EUR"
    assert payment.method == "card"
    assert payment.payer_id == "payer-1"
    assert payment.payee.identifiers["merchant_id"] == "MID-1"
    assert payment.payee.name == "acme"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("9.99", Decimal("9.99")),
        ("10", Decimal("10")),
        ("0.01", Decimal("0.01")),
        ("-5.00", Decimal("-5.00")),
        ("123456789012345678.99", Decimal("123456789012345678.99")),
        (9.99, Decimal("9.99")),
        (0.1, Decimal("0.1")),
        (19.95, Decimal("19.95")),
        (10, Decimal("10")),
        (0, Decimal("0")),
        (1234567.89, Decimal("1234567.89")),
    ],
)
def test_amount_string_or_number_is_exact_decimal(amount: object, expected: Decimal) -> None:
    payment = decode_payment(payment_bytes(amount=amount))
    assert isinstance(payment.amount, Decimal)
    assert payment.amount == expected


def test_amount_number_with_many_digits_is_not_rounded_through_float() -> None:
    # Money is Decimal, never float: a JSON number must be read as written.
    data = payment_bytes().replace(b'"amount":"9.99"', b'"amount":12345678901234567.89')
    assert decode_payment(data).amount == Decimal("12345678901234567.89")


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        ("2026-01-15T10:00:00Z", datetime(2026, 1, 15, 10, 0, tzinfo=UTC)),
        ("2026-01-15T10:00:00+00:00", datetime(2026, 1, 15, 10, 0, tzinfo=UTC)),
        ("2026-01-15T12:00:00+02:00", datetime(2026, 1, 15, 10, 0, tzinfo=UTC)),
        ("2026-01-15T05:00:00-05:00", datetime(2026, 1, 15, 10, 0, tzinfo=UTC)),
        ("2026-01-15T15:30:00+05:30", datetime(2026, 1, 15, 10, 0, tzinfo=UTC)),
        ("2026-01-16T01:00:00+15:00", datetime(2026, 1, 15, 10, 0, tzinfo=UTC)),
        (
            "2026-01-15T10:00:00.123Z",
            datetime(2026, 1, 15, 10, 0, 0, 123000, tzinfo=UTC),
        ),
        (
            "2026-01-15T10:00:00.123456+00:00",
            datetime(2026, 1, 15, 10, 0, 0, 123456, tzinfo=UTC),
        ),
        ("2026-01-15t10:00:00z", datetime(2026, 1, 15, 10, 0, tzinfo=UTC)),  # RFC 3339 5.6
    ],
)
def test_ts_rfc3339_with_z_or_offset_is_aware_utc(ts: str, expected: datetime) -> None:
    payment = decode_payment(payment_bytes(ts=ts))
    assert payment.ts == expected
    assert payment.ts.utcoffset() == timedelta(0)


@pytest.mark.parametrize(("currency", "expected"), [("eur", "EUR"), ("Sek", "SEK"), ("USD", "USD")])
def test_currency_upper_cased(currency: str, expected: str) -> None:
    assert decode_payment(payment_bytes(currency=currency)).currency == expected


def test_optional_fields_absent() -> None:
    payment = decode_payment(payment_bytes())
    assert payment.method is None
    assert payment.payer_id is None


@pytest.mark.parametrize(
    "method", ["card", "bank_transfer", "wallet", "crypto", "prepaid", "other"]
)
def test_every_method_accepted(method: str) -> None:
    assert decode_payment(payment_bytes(method=method)).method == method


def test_unknown_fields_are_no_reason_to_fail() -> None:
    payment = decode_payment(
        payment_bytes(
            extra={"nested": [1, 2, 3]},
            risk_score=0.7,
            payer={"id": "p", "email": "buyer@example.com"},
            payee={"merchant_id": "M", "nickname": "x", "rating": 5},
        )
    )
    assert payment.payee.identifiers == {"merchant_id": "M"}


def test_expected_member_matching_is_accepted() -> None:
    assert decode_payment(payment_bytes(member_id="bank-2"), "bank-2").member_id == "bank-2"


def test_no_expected_member_takes_member_as_given() -> None:
    assert decode_payment(payment_bytes(member_id="bank-2"), None).member_id == "bank-2"


@pytest.mark.parametrize(
    "payee",
    [
        {"merchant_id": "M"},
        {"card_acceptor_id": "C"},
        {"name": "Acme"},
        {"iban": "DE89 3704 0044 0532 0130 00"},
        {"account": "12345"},
        {"domain": "example.com"},
        {"url": "https://example.com/x"},
        {"wallet_address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"},
        {"email": "a@example.com"},
        {"phone": "+46701234567"},
        {"phone": "070 123 45 67", "country": "SE"},
    ],
)
def test_each_identifier_kind_alone_is_enough(payee: dict[str, str]) -> None:
    assert decode_payment(payment_bytes(payee=payee)).payee.identifiers


def test_payment_of_exactly_the_size_limit_is_accepted() -> None:
    base = payment_bytes(pad="")
    data = payment_bytes(pad="x" * (MAX_PAYMENT_BYTES - len(base)))
    assert len(data) == MAX_PAYMENT_BYTES
    assert decode_payment(data).txn_id == "t-1"


# ---------------------------------------------------------------- bad input codes


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   ",
        b"{",
        b"not json",
        b'{"txn_id": "t-1"',
        b'{"a": 1,}',
        b"{'txn_id': 't-1'}",
        b"NaN",
        b'{"a": NaN}',
        b"\x00\x01",
    ],
)
def test_invalid_json(data: bytes) -> None:
    assert code_of(data) == "INVALID_JSON"


@pytest.mark.parametrize(
    "data",
    [
        b'{"txn_id": "\xff"}',
        payment_bytes(payee={"name": "Caf\u00e9"}).replace("\u00e9".encode(), b"\xe9"),
        b"\xff\xfe{}",
        b'{"a": "\xc3"}',
    ],
)
def test_invalid_utf8(data: bytes) -> None:
    assert code_of(data) == "INVALID_UTF8"


@pytest.mark.parametrize("data", [b"[]", b"[1, 2]", b'"payment"', b"1", b"1.5", b"null", b"true"])
def test_not_an_object(data: bytes) -> None:
    assert code_of(data) == "NOT_AN_OBJECT"


@pytest.mark.parametrize("field", REQUIRED)
def test_schema_missing_required_field(field: str) -> None:
    document = payment_doc()
    del document[field]
    assert code_of(orjson.dumps(document)) == "SCHEMA"


@pytest.mark.parametrize(
    "overrides",
    [
        {"txn_id": 5},
        {"txn_id": ""},
        {"txn_id": None},
        {"member_id": 5},
        {"member_id": "ACME"},
        {"member_id": "-acme"},
        {"member_id": "acme bank"},
        {"ts": 1736935200},
        {"ts": None},
        {"amount": "abc"},
        {"amount": ""},
        {"amount": "1e5"},
        {"amount": "9,99"},
        {"amount": "$9.99"},
        {"amount": "9.99 EUR"},
        {"amount": True},
        {"amount": None},
        {"amount": []},
        {"amount": {"value": "9.99"}},
        {"currency": "EURO"},
        {"currency": "E1"},
        {"currency": 978},
        {"payee": "MID-1"},
        {"payee": ["MID-1"]},
        {"payee": None},
        {"payee": {"merchant_id": 123}},
        {"payee": {"iban": ["x"]}},
        {"payee": {"merchant_id": "M", "country": "SWE"}},
        {"payee": {"merchant_id": "M", "mcc": "54"}},
        {"method": "cash"},
        {"payer": "payer-1"},
        {"payer": {"id": 7}},
    ],
)
def test_schema_wrong_types(overrides: dict[str, Any]) -> None:
    assert code_of(payment_bytes(**overrides)) == "SCHEMA"


@pytest.mark.parametrize(
    "ts",
    [
        "2026-01-15",
        "2026-01-15T10:00:00",
        "2026-01-15 10:00:00",
        "yesterday at noon",
        "2026-13-01T00:00:00Z",
        "2026-02-30T10:00:00Z",
        "2026-01-15T25:00:00Z",
        "2026-01-15T10:00:00+25:00",
        "15/01/2026 10:00:00 +0000",
    ],
)
def test_invalid_timestamp(ts: str) -> None:
    assert code_of(payment_bytes(ts=ts)) == "INVALID_TIMESTAMP"


@pytest.mark.parametrize(
    "ts",
    [
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:30:00+14:00",
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:00:00-12:00",
    ],
)
def test_timestamp_outside_utc_range_is_invalid_timestamp(ts: str) -> None:
    # valid RFC 3339 text whose UTC instant falls outside year 1..9999: a dead letter,
    # never an exception that stops the worker
    assert code_of(payment_bytes(ts=ts)) == "INVALID_TIMESTAMP"


@pytest.mark.parametrize("amount", [float("nan"), float("inf"), float("-inf")])
def test_invalid_amount_non_finite(amount: float) -> None:
    with pytest.raises(PaymentError) as info:
        payment_from_document(payment_doc(amount=amount), None)
    assert info.value.code == "INVALID_AMOUNT"


def test_amount_beyond_double_range_is_rejected_not_crashing() -> None:
    data = payment_bytes().replace(b'"amount":"9.99"', b'"amount":1e400')
    with pytest.raises(PaymentError):
        decode_payment(data)


@pytest.mark.parametrize(
    "payee",
    [
        {},
        {"country": "SE", "mcc": "5411"},
        {"country": "SE"},
        {"acquirer_id": "ACQ-1"},
        {"merchant_id": "   "},
        {"name": "", "iban": " "},
    ],
    ids=[
        "empty",
        "country_and_mcc",
        "country_only",
        "acquirer_only",
        "blank_merchant_id",
        "blank_name_and_iban",
    ],
)
def test_no_payee_identifier(payee: dict[str, str]) -> None:
    assert code_of(payment_bytes(payee=payee)) == "NO_PAYEE_IDENTIFIER"


@pytest.mark.parametrize(
    ("payee", "invalid"),
    [
        ({"iban": "GB82 WEST 1234 5698 7654 33"}, ("iban",)),
        ({"iban": "GB82 WEST 1234 5698 7654 33", "country": "GB"}, ("iban",)),
        ({"email": "not-an-email", "phone": "070"}, ("email", "phone")),
        ({"name": "!!!"}, ("name",)),
        ({"domain": "localhost", "url": "not a url"}, ("domain", "url")),
    ],
    ids=[
        "invalid_iban",
        "invalid_iban_with_country",
        "invalid_email_and_phone",
        "punctuation_name",
        "invalid_domain_and_url",
    ],
)
def test_payee_with_only_malformed_identifiers_is_screened_not_dead_lettered(
    payee: dict[str, str], invalid: tuple[str, ...]
) -> None:
    # The payee exists; its identifiers can never match, so it is decided (and counted).
    decoded = decode_payment(payment_bytes(payee=payee))
    assert decoded.payee.identifiers == {}
    assert sorted(decoded.payee.invalid) == sorted(invalid)


def test_member_mismatch() -> None:
    assert code_of(payment_bytes(member_id="acme"), "bank-2") == "MEMBER_MISMATCH"


def test_member_mismatch_message_names_both_members() -> None:
    with pytest.raises(PaymentError) as info:
        decode_payment(payment_bytes(member_id="acme"), "bank-2")
    assert "acme" in str(info.value)
    assert "bank-2" in str(info.value)


@pytest.mark.parametrize("extra", [1, 1000, MAX_PAYMENT_BYTES])
def test_oversized(extra: int) -> None:
    base = payment_bytes(pad="")
    data = payment_bytes(pad="x" * (MAX_PAYMENT_BYTES - len(base) + extra))
    assert len(data) > MAX_PAYMENT_BYTES
    assert code_of(data) == "OVERSIZED"


def test_oversized_garbage_is_oversized_before_parsing() -> None:
    assert code_of(b"\xff" * (MAX_PAYMENT_BYTES + 1)) == "OVERSIZED"


# ---------------------------------------------------------------- properties

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
PAYEE_KEYS = st.sampled_from((*PAYEE_IDENTIFIER_FIELDS, "acquirer_id", "country", "mcc"))
TIMESTAMPS = st.builds(
    lambda moment, minutes: (
        moment.isoformat()
        + ("Z" if minutes == 0 else f"{'+' if minutes > 0 else '-'}{abs(minutes) // 60:02d}:00")
    ),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    st.sampled_from([0, 60, -60, 14 * 60, -12 * 60, 330]),
)


@st.composite
def near_valid_payments(draw: st.DrawFn) -> dict[str, Any]:
    """A valid payment with some fields replaced by arbitrary JSON (or dropped)."""
    document = payment_doc(
        ts=draw(TIMESTAMPS),
        payee=draw(st.dictionaries(PAYEE_KEYS, st.text(max_size=40) | JSON_SCALARS, max_size=5)),
    )
    for field in draw(st.sets(st.sampled_from((*REQUIRED, "payer", "method")), max_size=3)):
        if draw(st.booleans()):
            document.pop(field, None)
        else:
            document[field] = draw(JSON_VALUES)
    return document


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400))
def test_property_arbitrary_bytes_only_payment_error(data: bytes) -> None:
    with contextlib.suppress(PaymentError):
        decode_payment(data, "acme")


@settings(max_examples=300, deadline=None)
@given(document=st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=8))
def test_property_arbitrary_json_objects_only_payment_error(document: dict[str, Any]) -> None:
    with contextlib.suppress(PaymentError):
        decode_payment(orjson.dumps(document), "acme")


@settings(max_examples=400, deadline=None)
@given(document=near_valid_payments())
def test_property_near_valid_payments_only_payment_error(document: dict[str, Any]) -> None:
    try:
        payment = decode_payment(orjson.dumps(document), "acme")
    except PaymentError:
        return
    assert isinstance(payment.amount, Decimal)
    assert payment.ts.utcoffset() == timedelta(0)
