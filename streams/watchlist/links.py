"""Follow the money: identifiers linked to a confirmed entry by the payments that carried
them beside a listed identifier.

A payment that matches a confirmed entry exactly is evidence that its other payee
identifiers belong to the same seller (a new merchant account, a wallet, a website).
Such identifiers are recorded as links; a later payment to a linked identifier holds
(never blocks) with WATCHLIST_LINK. Links are made only from exact matches on confirmed
entries, never from other links, so linking never goes further than one hop. A link
lapses after a period without new evidence, in event time.

A sealed entry makes no links: its reasons name no entry, and a link record or NEW_ROUTE
alert naming it would tell what the embargo hides. An identifier that matched a sealed entry
is not linked to another entry the same payment matched either (a later payment to it would
then hold by WATCHLIST_LINK, with its value, beside the sealed match).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from streams.model.payee import index_key
from streams.model.payment import Payment, parse_timestamp
from streams.model.timestamps import iso

LINKABLE_CODES = frozenset({"WATCHLIST_MATCH"})
SEALED_CODE = "WATCHLIST_SEALED"  # streams.rules.disclosure.SEALED_CODE


@dataclass(frozen=True, slots=True)
class Link:
    """A canonical identifier (`key` = `kind:value`) linked to a confirmed entry."""

    key: str
    type: str
    value: str
    entry_id: str
    first_txn: str
    first_member: str
    first_seen: datetime
    last_txn: str
    last_seen: datetime
    count: int
    method: str | None
    action: str = "block"  # the linked entry's action, for promotion
    status: str = "linked"  # linked | dismissed | promoted
    note: str | None = None  # who promoted or dismissed it, and why

    def live(self, at: datetime, ttl: timedelta) -> bool:
        """True while the link holds: not dismissed or promoted, and seen within `ttl`."""
        return self.status == "linked" and at < self.last_seen + ttl

    def document(self) -> dict[str, Any]:
        """The link as published on the links topic."""
        return {
            "identifier": self.key,
            "type": self.type,
            "value": self.value,
            "entry_id": self.entry_id,
            "first_txn": self.first_txn,
            "first_member": self.first_member,
            "first_seen": iso(self.first_seen),
            "last_txn": self.last_txn,
            "last_seen": iso(self.last_seen),
            "count": self.count,
            "method": self.method,
            "action": self.action,
            "status": self.status,
            "note": self.note,
        }


def link_from_document(document: dict[str, Any]) -> Link:
    """The inverse of `Link.document`; KeyError/ValueError on a malformed record."""
    return Link(
        key=document["identifier"],
        type=document["type"],
        value=document["value"],
        entry_id=document["entry_id"],
        first_txn=document["first_txn"],
        first_member=document["first_member"],
        first_seen=parse_timestamp(document["first_seen"]),
        last_txn=document["last_txn"],
        last_seen=parse_timestamp(document["last_seen"]),
        count=int(document["count"]),
        method=document.get("method"),
        action=document.get("action", "block"),
        status=document.get("status", "linked"),
        note=document.get("note"),
    )


class LinkIndex:
    """Links by identifier key and linked entry: consumes link records, answers probes."""

    def __init__(self, ttl: timedelta) -> None:
        self.ttl = ttl
        self._links: dict[str, dict[str, Link]] = {}

    def __len__(self) -> int:
        return sum(len(by_entry) for by_entry in self._links.values())

    def get(self, key: str, entry_id: str) -> Link | None:
        """The link of `key` to `entry_id`, in any status."""
        return self._links.get(key, {}).get(entry_id)

    def lookup(self, key: str, at: datetime) -> list[Link]:
        """Live links of an identifier key at event time `at`, by entry id."""
        by_entry = self._links.get(key)
        if not by_entry:
            return []
        return [by_entry[e] for e in sorted(by_entry) if by_entry[e].live(at, self.ttl)]

    def put(self, link: Link) -> None:
        """Add or replace a link."""
        self._links.setdefault(link.key, {})[link.entry_id] = link

    def merge(self, link: Link) -> None:
        """Apply a record from the links topic: status changes always win; otherwise the
        record with more evidence (count) does, so a stale echo never undoes news."""
        current = self.get(link.key, link.entry_id)
        if current is None or current.status != link.status or link.count >= current.count:
            self.put(link)

    def delete(self, key: str, entry_id: str) -> None:
        """Forget a link (a tombstone on the links topic)."""
        by_entry = self._links.get(key)
        if by_entry is not None:
            by_entry.pop(entry_id, None)
            if not by_entry:
                del self._links[key]


def record_key(link: Link) -> bytes:
    """The links topic key: one record per (identifier, entry)."""
    return f"{link.key}|{link.entry_id}".encode()


def derive_links(
    payment: Payment, reasons: tuple[dict[str, Any], ...], index: LinkIndex
) -> tuple[list[Link], list[Link]]:
    """Consumes a decided payment and its reasons; produces (links to publish, links that
    are new). Only exact matches on confirmed entries link; identifiers the entry already
    lists, and identifiers of the same payment already matched (sealed matches by their
    payee field), are not links."""
    sources = [r for r in reasons if r["code"] in LINKABLE_CODES and r.get("status") == "confirmed"]
    if not sources:
        return [], []
    matched_keys = {
        index_key(r["type"], r["value"]) for r in reasons if r["code"] in LINKABLE_CODES
    }
    sealed_fields = {r.get("payee_field") for r in reasons if r["code"] == SEALED_CODE}
    updates: list[Link] = []
    new: list[Link] = []
    actions = {r["entry_id"]: r.get("action", "block") for r in sources}
    for entry_id in sorted(actions):
        for key, kind, value in _payee_identifiers(payment):
            if key in matched_keys or kind in sealed_fields:
                continue
            current = index.get(key, entry_id)
            if current is None:
                link = Link(
                    key,
                    kind,
                    value,
                    entry_id,
                    payment.txn_id,
                    payment.member_id,
                    payment.ts,
                    payment.txn_id,
                    payment.ts,
                    1,
                    payment.method,
                    actions[entry_id],
                )
                new.append(link)
            elif current.status != "linked" or current.last_txn == payment.txn_id:
                continue  # dismissed/promoted links stay so; a redelivery adds nothing
            else:
                link = replace(
                    current,
                    last_txn=payment.txn_id,
                    last_seen=max(current.last_seen, payment.ts),
                    count=current.count + 1,
                )
            index.put(link)
            updates.append(link)
    return updates, new


def _payee_identifiers(payment: Payment) -> list[tuple[str, str, str]]:
    """(index key, kind, canonical value) of each exact payee identifier, one per field;
    domains by the host written (not its parents)."""
    found: dict[str, tuple[str, str, str]] = {}
    for probe in payment.payee.lookup_keys:
        if probe.field not in found:
            found[probe.field] = (probe.key, probe.field, probe.value)
    scoped = payment.payee.identifiers.get("merchant_id")
    if scoped is not None and "merchant_id" in found:
        found["merchant_id"] = (f"merchant_id:{scoped}", "merchant_id", scoped)
    return list(found.values())
