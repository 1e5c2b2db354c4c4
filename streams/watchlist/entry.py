"""Watchlist entries: validation, canonical identifiers and their effect at a point in time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from streams.model import canonical
from streams.model.payee import CanonicalPayee, index_key
from streams.model.payment import parse_timestamp
from streams.model.schemas import SchemaError, validator
from streams.watchlist.identifier_hash import token_index_key

_TOKEN = re.compile(r"^[0-9a-fA-F]{64}$")


class EntryError(ValueError):
    """A watchlist entry that cannot be used; the message names the problem."""


@dataclass(frozen=True, slots=True)
class ListedIdentifier:
    """One identifier of an entry: its declared type, canonical value and index key."""

    type: str
    value: str
    key: str
    hashed: bool = False


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    """A validated entry; `rejected` lists identifiers that can never match (e.g. bad IBAN);
    `sealed` (visibility `sealed`, a law-enforcement embargo) means no decision or alert may
    name it (see streams/rules/disclosure.py)."""

    entry_id: str
    identifiers: tuple[ListedIdentifier, ...]
    names: tuple[tuple[str, str], ...]  # (canonical name, name as listed)
    action: str
    status: str
    source: str
    expires_at: datetime | None
    reference: str | None
    rejected: tuple[tuple[str, str], ...]
    sealed: bool = False

    def effect(self, at: datetime) -> str | None:
        """`block`/`hold` this entry applies at event time `at`; None if revoked or expired."""
        if self.status == "revoked":
            return None
        if self.expires_at is not None and at >= self.expires_at:
            return None
        return self.action if self.status == "confirmed" else "hold"


@dataclass(frozen=True, slots=True)
class Override:
    """A member's false-positive override of one entry for one payee (any of `keys` or
    `names` identifies the payee), with its provenance."""

    entry_id: str
    member_id: str
    overrides: str
    keys: frozenset[str]
    names: frozenset[str]
    source: str
    reason: str | None
    expires_at: datetime | None

    def applies(self, member_id: str, payee: CanonicalPayee, at: datetime) -> bool:
        """True for this member's payments to this payee, until `expires_at`."""
        if member_id != self.member_id:
            return False
        if self.expires_at is not None and at >= self.expires_at:
            return False
        if any(probe.key in self.keys for probe in payee.lookup_keys):
            return True
        return any(variant in self.names for variant in payee.name_variants)


def parse_override(document: Any) -> Override:
    """Validate an override (schemas/watchlist-override.schema.json); raise EntryError."""
    try:
        validator("watchlist-override")(document)
    except SchemaError as exc:
        raise EntryError(str(exc)) from None
    identifiers, names, _rejected = parse_identifiers(document["identifiers"])
    if not identifiers and not names:
        raise EntryError(f"override {document['entry_id']!r} names no valid payee identifier")
    return Override(
        entry_id=document["entry_id"],
        member_id=document["member_id"],
        overrides=document["overrides"],
        keys=frozenset(i.key for i in identifiers),
        names=frozenset(canon for canon, _ in names),
        source=document["source"],
        reason=document.get("reason"),
        expires_at=_expiry(document),
    )


def parse_record(document: Any) -> WatchlistEntry | Override:
    """An entry or, for `"kind": "override"`, an override."""
    if isinstance(document, dict) and document.get("kind") == "override":
        return parse_override(document)
    return parse_entry(document)


def _expiry(document: dict[str, Any]) -> datetime | None:
    if not document.get("expires_at"):
        return None
    try:
        return parse_timestamp(document["expires_at"])
    except ValueError as exc:
        raise EntryError(f"expires_at: {exc}") from None


def parse_entry(document: Any) -> WatchlistEntry:
    """Validate a decoded entry against schemas/watchlist-entry.schema.json and
    canonicalise its identifiers; raise EntryError naming the problem."""
    try:
        validator("watchlist-entry")(document)
    except SchemaError as exc:
        raise EntryError(str(exc)) from None
    expires_at = _expiry(document)
    identifiers, names, rejected = parse_identifiers(document["identifiers"])
    if not identifiers and not names:
        raise EntryError(
            f"entry {document['entry_id']!r} has no valid identifier "
            f"(rejected: {', '.join(f'{k}={v!r}' for k, v in rejected)})"
        )
    return WatchlistEntry(
        entry_id=document["entry_id"],
        identifiers=identifiers,
        names=names,
        action=document["action"],
        status=document["status"],
        source=document["source"],
        expires_at=expires_at,
        reference=document.get("reference"),
        rejected=rejected,
        sealed=document.get("visibility", "normal") == "sealed",
    )


Identifiers = tuple[
    tuple[ListedIdentifier, ...], tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]
]


def parse_identifiers(items: list[dict[str, Any]]) -> Identifiers:
    """Schema-valid identifier objects to (exact identifiers, (canonical name, listed name)
    pairs, rejected (type, value) pairs)."""
    identifiers: list[ListedIdentifier] = []
    names: list[tuple[str, str]] = []
    rejected: list[tuple[str, str]] = []
    for item in items:
        kind, value = item["type"], item["value"]
        if item.get("hashed"):
            if kind == "name" or not _TOKEN.match(value):
                rejected.append((kind, value))
            else:
                token = value.lower()
                identifiers.append(
                    ListedIdentifier(kind, token, token_index_key(kind, token), True)
                )
            continue
        if kind == "name":
            variants = canonical.name_variants(value)
            if not variants:
                rejected.append((kind, value))
            names.extend((variant, value) for variant in variants)
            continue
        canon = listed_identifier(kind, value, item.get("acquirer_id"), item.get("country"))
        if canon is None:
            rejected.append((kind, value))
        else:
            identifiers.append(ListedIdentifier(kind, canon, index_key(kind, canon)))
    return tuple(identifiers), tuple(names), tuple(rejected)


def listed_identifier(
    kind: str, value: str, acquirer: str | None = None, country: str | None = None
) -> str | None:
    """Canonical value of a listed (non-name) identifier, None when invalid."""
    if kind == "merchant_id":
        return canonical.scoped_merchant_id(value, acquirer)
    if kind == "phone":
        return canonical.phone(value, country)
    return canonical.SIMPLE_CANONICALISERS[kind](value)


def encode_entry(document: object) -> bytes:
    """Stable encoding of an entry document (sorted keys): what is published and hashed."""
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def decode_entry(raw: bytes) -> tuple[WatchlistEntry | Override, bytes]:
    """An entry or override from its message bytes, with its stable encoding; raise
    EntryError."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise EntryError(f"not JSON: {exc}") from None
    return parse_record(document), encode_entry(document)
