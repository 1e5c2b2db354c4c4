"""Test inputs in the shapes the contracts give them (schemas/*.schema.json): payments as
documents, as the bytes a producer sends and decoded; watchlist entries with their
identifiers; velocity rules as documents and parsed. Defaults make a valid instance;
keyword arguments change or add fields."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import orjson

from streams.model.payment import Payment, decode_payment
from streams.velocity.rule import VelocityRule, parse_rule

PAYMENT_TS = "2026-01-15T10:00:00Z"
LISTED_IBAN = "GB82 WEST 1234 5698 7654 32"
DEFAULT_PAYEE: Mapping[str, str] = {"merchant_id": "MID-1"}


def timestamp(at: datetime, timespec: str = "auto") -> str:
    """An aware datetime as a payment's `ts`: RFC 3339 with `Z` for UTC."""
    return at.isoformat(timespec=timespec).replace("+00:00", "Z")


def payment_doc(
    txn_id: str = "t-1",
    member_id: str = "acme",
    *,
    ts: Any = PAYMENT_TS,
    amount: Any = "9.99",
    currency: Any = "EUR",
    payer_id: str | None = None,
    payee: Any = DEFAULT_PAYEE,
    omit: Collection[str] = (),
    **fields: Any,
) -> dict[str, Any]:
    """A payment document. A datetime `ts` is written as RFC 3339; `payer_id` becomes
    `{"id": payer_id}` (no payer when None); a mapping `payee` is copied; other values are
    written as given, so a test can send any shape. `fields` add fields (method, ...) or
    replace any above; the `omit` fields are left out."""
    document: dict[str, Any] = {
        "txn_id": txn_id,
        "member_id": member_id,
        "ts": timestamp(ts) if isinstance(ts, datetime) else ts,
        "amount": amount,
        "currency": currency,
    }
    if payer_id is not None:
        document["payer"] = {"id": payer_id}
    document["payee"] = dict(payee) if isinstance(payee, Mapping) else payee
    document.update(fields)
    for name in omit:
        document.pop(name, None)
    return document


def payment_bytes(txn_id: str = "t-1", member_id: str = "acme", **fields: Any) -> bytes:
    """The payment document of `payment_doc` as a producer sends it: JSON bytes."""
    return orjson.dumps(payment_doc(txn_id, member_id, **fields))


def decoded_payment(txn_id: str = "t-1", member_id: str = "acme", **fields: Any) -> Payment:
    """The payment of `payment_doc` decoded from its bytes, as a worker serving its member
    receives it."""
    return decode_payment(payment_bytes(txn_id, member_id, **fields), member_id)


def identifier(kind: str, value: str, **extra: str) -> dict[str, str]:
    """One listed identifier of a watchlist entry: `{"type": kind, "value": value}`."""
    return {"type": kind, "value": value, **extra}


def watchlist_entry(
    entry_id: str = "wl-1",
    identifiers: list[dict[str, Any]] | None = None,
    *,
    action: str = "block",
    status: str = "confirmed",
    source: str = "ncmec",
    **fields: Any,
) -> dict[str, Any]:
    """A watchlist entry document; by default it lists one IBAN. `fields` add optional
    fields (expires_at, reason, ...)."""
    return {
        "entry_id": entry_id,
        "identifiers": [identifier("iban", LISTED_IBAN)] if identifiers is None else identifiers,
        "action": action,
        "status": status,
        "source": source,
        **fields,
    }


def rule_doc(
    rule_id: str = "r1",
    *,
    key: str = "payee",
    window: str = "1h",
    measure: str = "count",
    threshold: Any = 3,
    action: str = "hold",
    **fields: Any,
) -> dict[str, Any]:
    """A velocity rule document; `fields` add the optional fields (description, mode,
    enabled, members, amounts, ...)."""
    return {
        "rule_id": rule_id,
        "key": key,
        "window": window,
        "measure": measure,
        "threshold": threshold,
        "action": action,
        **fields,
    }


def velocity_rule(rule_id: str = "r1", **fields: Any) -> VelocityRule:
    """The rule of `rule_doc(rule_id, **fields)`, parsed."""
    return parse_rule(rule_doc(rule_id, **fields))
