"""Decoding and validating payments: raw bytes in, a `Payment` or a `PaymentError` out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from streams.payee import CanonicalPayee, canonical_payee
from streams.schemas import SchemaError, validator

MAX_PAYMENT_BYTES = 64 * 1024


class PaymentError(ValueError):
    """Why a payment cannot be screened: a stable `code` and a one-line message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Payment:
    """A validated payment with money as Decimal, event time as an aware datetime and
    the payee canonicalised once for every rule."""

    txn_id: str
    member_id: str
    ts: datetime
    amount: Decimal
    currency: str
    method: str | None
    payer_id: str | None
    payee_raw: dict[str, str]
    payee: CanonicalPayee


def parse_timestamp(text: str) -> datetime:
    """RFC 3339 timestamp to an aware UTC datetime; ValueError when not RFC 3339."""
    if "T" not in text.upper()[8:12]:
        raise ValueError(f"ts {text!r} is not RFC 3339")
    value = datetime.fromisoformat(text.replace("z", "Z"))
    if value.tzinfo is None:
        raise ValueError(f"ts {text!r} has no time zone offset")
    return value.astimezone(UTC)


def parse_amount(value: object) -> Decimal:
    """A decimal string or JSON number to a finite Decimal; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"amount {value!r} is not a decimal")
    try:
        amount = Decimal(str(value)) if not isinstance(value, str) else Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"amount {value!r} is not a decimal") from None
    if not amount.is_finite():
        raise ValueError(f"amount {value!r} is not finite")
    return amount


def decode_payment(raw: bytes, expected_member: str | None = None) -> Payment:
    """Decode one message value; raise PaymentError with a code for every kind of bad input."""
    if len(raw) > MAX_PAYMENT_BYTES:
        raise PaymentError("OVERSIZED", f"payment of {len(raw)} bytes exceeds {MAX_PAYMENT_BYTES}")
    try:
        document: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        code = "INVALID_UTF8" if "utf-8" in str(exc).lower() else "INVALID_JSON"
        raise PaymentError(code, f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise PaymentError("NOT_AN_OBJECT", f"payment is a JSON {type(document).__name__}")
    return payment_from_document(document, expected_member)


def payment_from_document(document: dict[str, Any], expected_member: str | None) -> Payment:
    """Validate a decoded JSON object against schemas/payment.schema.json and the
    semantics the schema cannot state (RFC 3339, decimal amount, member of the topic)."""
    try:
        validator("payment")(document)
    except SchemaError as exc:
        raise PaymentError("SCHEMA", str(exc)) from None
    member = document["member_id"]
    if expected_member is not None and member != expected_member:
        raise PaymentError(
            "MEMBER_MISMATCH",
            f"member_id {member!r} does not match topic member {expected_member!r}",
        )
    try:
        ts = parse_timestamp(document["ts"])
    except ValueError as exc:
        raise PaymentError("INVALID_TIMESTAMP", str(exc)) from None
    try:
        amount = parse_amount(document["amount"])
    except ValueError as exc:
        raise PaymentError("INVALID_AMOUNT", str(exc)) from None
    payee_doc: dict[str, Any] = document["payee"]
    payee = canonical_payee(payee_doc)
    # A payee whose identifiers are all malformed (a bad IBAN) is still screened: it
    # matches nothing, and the invalid identifiers are counted. Blank ones are no payee.
    if not payee.identifiers and not payee.invalid:
        raise PaymentError("NO_PAYEE_IDENTIFIER", "payee has no identifier")
    payer = document.get("payer")
    payer_id = payer.get("id") if isinstance(payer, dict) else None
    return Payment(
        txn_id=document["txn_id"],
        member_id=member,
        ts=ts,
        amount=amount,
        currency=document["currency"].upper(),
        method=document.get("method"),
        payer_id=payer_id if isinstance(payer_id, str) else None,
        payee_raw={k: v for k, v in payee_doc.items() if isinstance(v, str)},
        payee=payee,
    )
