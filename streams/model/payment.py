"""Decoding and validating payments: raw bytes in, a `Payment` or a `PaymentError` out."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from streams.model.payee import (
    PAYEE_IDENTIFIER_FIELDS,
    CanonicalPayee,
    remembered_payee,
)
from streams.model.payer_ref import payer_ref
from streams.model.payment_check import surely_valid
from streams.model.schemas import SchemaError, validator
from streams.model.timestamps import iso, iso_of_text

MAX_PAYMENT_BYTES = 64 * 1024
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
_PAYEE_IDENTIFIERS = frozenset(PAYEE_IDENTIFIER_FIELDS)


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
    payer_key: bytes | None = field(default=None, repr=False, compare=False)
    # `iso(ts)` when it could be read off the message's own text (see `ts_text`).
    ts_written: str | None = field(default=None, repr=False, compare=False)

    @property
    def ts_text(self) -> str:
        """`ts` as output messages write it (`streams.model.timestamps.iso`)."""
        return self.ts_written if self.ts_written is not None else iso(self.ts)

    @property
    def payer_ref(self) -> str | None:
        """The payer as a ref under the deployment's payer key (`streams.model.payer_ref`),
        computed when asked: only alerts and payer-keyed velocity rules need it."""
        return (
            None
            if self.payer_id is None
            else payer_ref(self.member_id, self.payer_id, self.payer_key)
        )


def parse_timestamp(text: str) -> datetime:
    """RFC 3339 timestamp to an aware UTC datetime; ValueError when not RFC 3339."""
    if not _RFC3339.match(text):
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp with a time zone")
    try:
        return datetime.fromisoformat(text.upper()).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"{text!r} is not a valid RFC 3339 timestamp") from None


def parse_amount(value: object) -> Decimal:
    """A decimal string or JSON number to a finite Decimal; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(f"amount {value!r} is not a decimal")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise ValueError(f"amount {value!r} is not a decimal") from None
    if not amount.is_finite():
        raise ValueError(f"amount {value!r} is not finite")
    return amount


def decode_payment(
    raw: bytes, expected_member: str | None = None, payer_key: bytes | None = None
) -> Payment:
    """Decode one message value, the payer as a ref under `payer_key` (see
    `streams.model.payer_ref`); raise PaymentError with a code for every kind of bad input."""
    if len(raw) > MAX_PAYMENT_BYTES:
        raise PaymentError("OVERSIZED", f"payment of {len(raw)} bytes exceeds {MAX_PAYMENT_BYTES}")
    try:
        document: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        code = "INVALID_UTF8" if "utf-8" in str(exc).lower() else "INVALID_JSON"
        raise PaymentError(code, f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise PaymentError("NOT_AN_OBJECT", f"payment is a JSON {type(document).__name__}")
    amount = document.get("amount")
    if isinstance(amount, float) and _may_have_lost_digits(amount):
        # orjson reads numbers as binary floats; re-read this rare one digit for digit.
        try:
            document["amount"] = json.loads(raw, parse_float=Decimal).get("amount")
        except RecursionError:
            # Nesting orjson accepts (up to 1024 levels) can exceed the recursion limit
            # of the standard library's parser.
            raise PaymentError("INVALID_JSON", "payment nested too deeply") from None
    return payment_from_document(document, expected_member, payer_key)


def _may_have_lost_digits(number: float) -> bool:
    """True when a float may not equal the decimal literal it was read from (more than the
    15 significant digits a double always preserves)."""
    digits = repr(number).lower().split("e")[0].replace("-", "").replace(".", "").strip("0")
    return len(digits) > 15


def _check_slowly(document: dict[str, Any]) -> None:
    """The payee identifier check, then the schema's generated validator, with their
    codes and messages."""
    payee_doc = document.get("payee")
    # Identifier fields that are absent or blank: no payee to screen. Wrong types are
    # left to the schema.
    if isinstance(payee_doc, dict) and not any(
        not isinstance(v, str) or v.strip()
        for k, v in payee_doc.items()
        if k in _PAYEE_IDENTIFIERS and v is not None
    ):
        raise PaymentError("NO_PAYEE_IDENTIFIER", "payee has no identifier")
    try:
        validator("payment")(document)
    except SchemaError as exc:
        raise PaymentError("SCHEMA", str(exc)) from None


def payment_from_document(
    document: dict[str, Any], expected_member: str | None, payer_key: bytes | None = None
) -> Payment:
    """Validate a decoded JSON object against schemas/payment.schema.json and the
    semantics the schema cannot state (RFC 3339, decimal amount, member of the topic)."""
    # A document the schema surely accepts with a payee identifier that is not blank
    # passes both checks below; any other goes through them in order.
    payee_fields, known = _accepted_payee(document.get("payee"))
    if surely_valid(document, payee_checked=known is not None):
        if known is None and payee_fields is not None:
            _remember_accepted(payee_fields, remembered_payee(document["payee"]))
    else:
        _check_slowly(document)
    member = document["member_id"]
    if expected_member is not None and member != expected_member:
        raise PaymentError(
            "MEMBER_MISMATCH",
            f"member_id {member!r} does not match topic member {expected_member!r}",
        )
    ts_raw = document["ts"]
    try:
        ts = parse_timestamp(ts_raw)
    except ValueError as exc:
        raise PaymentError("INVALID_TIMESTAMP", str(exc)) from None
    try:
        amount = parse_amount(document["amount"])
    except ValueError as exc:
        raise PaymentError("INVALID_AMOUNT", str(exc)) from None
    # A payee whose identifiers are all malformed (a bad IBAN) is still screened: it
    # matches nothing, and the invalid identifiers are counted.
    # Both checks above passed: every field of the payee the schema names is a string.
    payee = known if known is not None else remembered_payee(document["payee"])
    payer = document.get("payer")
    payer_id = payer.get("id") if isinstance(payer, dict) else None
    if not isinstance(payer_id, str) or not payer_id:
        payer_id = None
    return Payment(
        txn_id=document["txn_id"],
        member_id=member,
        ts=ts,
        amount=amount,
        currency=document["currency"].upper(),
        method=document.get("method"),
        payer_id=payer_id,
        payee_raw={k: v for k, v in document["payee"].items() if isinstance(v, str)},
        payee=payee,
        payer_key=payer_key,
        ts_written=iso_of_text(ts_raw),
    )


# Payees the fast check accepted, by their fields in the order given, with their
# canonical form: a payee paid again skips that check and the canonical memo's key (about
# a twentieth of a warm payment). About 1 KB each; emptied when full.
_ACCEPTED_PAYEES: dict[tuple[tuple[str, Any], ...], CanonicalPayee] = {}
REMEMBERED_ACCEPTED_PAYEES = 32_768


def _accepted_payee(
    payee: object,
) -> tuple[tuple[tuple[str, Any], ...] | None, CanonicalPayee | None]:
    """The payee's fields as a memo key (None when not an object or not hashable) and its
    canonical form when the fast check accepted these same fields before."""
    if type(payee) is not dict:
        return None, None
    fields = tuple(payee.items())
    try:
        return fields, _ACCEPTED_PAYEES.get(fields)
    except TypeError:  # a field the schema does not name holds an array or object
        return None, None


def _remember_accepted(fields: tuple[tuple[str, Any], ...], payee: CanonicalPayee) -> None:
    if len(_ACCEPTED_PAYEES) >= REMEMBERED_ACCEPTED_PAYEES:
        _ACCEPTED_PAYEES.clear()
    _ACCEPTED_PAYEES[fields] = payee
