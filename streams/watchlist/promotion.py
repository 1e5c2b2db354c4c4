"""The watchlist documents a person's decision publishes: a linked identifier promoted to
an entry of its own, a link's new status, and a member's false-positive override. Used by
`screening watchlist promote|dismiss|override` and by the console."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson

from streams.model.timestamps import iso
from streams.watchlist.entry import encode_entry, parse_override
from streams.watchlist.links import Link, record_key

KeyValue = tuple[bytes, bytes]


def promoted_entry(link: Link, source: str, reason: str) -> dict[str, Any]:
    """Consumes a link and who promotes it, why; produces the confirmed entry of the
    linked identifier alone, with the linked entry's action and the link as its notes."""
    return {
        "entry_id": f"{link.entry_id}~{link.key}",
        "identifiers": [{"type": link.type, "value": link.value}],
        "action": link.action,
        "status": "confirmed",
        "source": source,
        "reference": link.entry_id,
        "notes": (
            f"promoted from a link to {link.entry_id} established by {link.first_txn} "
            f"({link.first_member}, {iso(link.first_seen)}); {reason}"
        ).rstrip("; "),
    }


def link_status_record(link: Link, status: str, note: str) -> KeyValue:
    """The links topic record that marks a link `promoted` or `dismissed`, with a note."""
    updated = replace(link, status=status, note=note)
    return record_key(updated), orjson.dumps(updated.document())


def override_document(
    member: str,
    entry_id: str,
    identifiers: list[dict[str, Any]],
    source: str,
    reason: str,
    override_id: str | None = None,
    expires_at: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A member's false-positive override of `entry_id` for the payee `identifiers`,
    validated (EntryError when it is not a usable override)."""
    document: dict[str, Any] = {
        "entry_id": override_id or f"override:{member}:{entry_id}:{identifiers[0]['value']}",
        "kind": "override",
        "member_id": member,
        "overrides": entry_id,
        "identifiers": identifiers,
        "source": source,
        "reason": reason,
        "created_at": iso(now or datetime.now(UTC)),
    }
    if expires_at:
        document["expires_at"] = expires_at
    parse_override(document)
    return document


def entry_record(document: dict[str, Any]) -> KeyValue:
    """An entry or override as its watchlist topic record (key entry_id)."""
    return str(document["entry_id"]).encode(), encode_entry(document)
