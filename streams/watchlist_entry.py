"""Watchlist entries: validation, canonical identifiers and their effect at a point in time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from streams import canonical
from streams.payee import index_key
from streams.payment import parse_timestamp
from streams.schemas import SchemaError, validator


class EntryError(ValueError):
    """A watchlist entry that cannot be used; the message names the problem."""


@dataclass(frozen=True, slots=True)
class ListedIdentifier:
    """One identifier of an entry: its declared type, canonical value and index key."""

    type: str
    value: str
    key: str


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    """A validated entry; `rejected` lists identifiers that can never match (e.g. bad IBAN)."""

    entry_id: str
    identifiers: tuple[ListedIdentifier, ...]
    names: tuple[tuple[str, str], ...]  # (canonical name, name as listed)
    action: str
    status: str
    source: str
    expires_at: datetime | None
    reference: str | None
    rejected: tuple[tuple[str, str], ...]

    def effect(self, at: datetime) -> str | None:
        """`block`/`hold` this entry applies at event time `at`; None if revoked or expired."""
        if self.status == "revoked":
            return None
        if self.expires_at is not None and at >= self.expires_at:
            return None
        return self.action if self.status == "confirmed" else "hold"


def parse_entry(document: Any) -> WatchlistEntry:
    """Validate a decoded entry against schemas/watchlist-entry.schema.json and
    canonicalise its identifiers; raise EntryError naming the problem."""
    try:
        validator("watchlist-entry")(document)
    except SchemaError as exc:
        raise EntryError(str(exc)) from None
    expires_at = None
    if document.get("expires_at"):
        try:
            expires_at = parse_timestamp(document["expires_at"])
        except ValueError as exc:
            raise EntryError(f"expires_at: {exc}") from None
    identifiers: list[ListedIdentifier] = []
    names: list[tuple[str, str]] = []
    rejected: list[tuple[str, str]] = []
    for item in document["identifiers"]:
        kind, value = item["type"], item["value"]
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
    if not identifiers and not names:
        raise EntryError(
            f"entry {document['entry_id']!r} has no valid identifier "
            f"(rejected: {', '.join(f'{k}={v!r}' for k, v in rejected)})"
        )
    return WatchlistEntry(
        entry_id=document["entry_id"],
        identifiers=tuple(identifiers),
        names=tuple(names),
        action=document["action"],
        status=document["status"],
        source=document["source"],
        expires_at=expires_at,
        reference=document.get("reference"),
        rejected=tuple(rejected),
    )


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


def decode_entry(raw: bytes) -> tuple[WatchlistEntry, bytes]:
    """An entry from its message bytes, with its stable encoding; raise EntryError."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise EntryError(f"not JSON: {exc}") from None
    return parse_entry(document), encode_entry(document)
