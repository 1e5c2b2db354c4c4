"""From a record on a topic to the changes it makes to the console's view: pure functions.

The topic reader calls `changes_of` for each record and hands the result to the store.
Nothing here reads the database: whatever depends on what is already there (a hold's
state, a cached payment) is merged by the store with `hold_state.apply_event`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

import orjson

from streams.console.hold_state import HoldEvent, Json
from streams.kafka import topics
from streams.kafka.client import Record
from streams.model.payee import canonical_payee, index_key
from streams.model.payer_ref import payer_ref
from streams.model.payment import parse_timestamp
from streams.model.payment_masking import mask_payment
from streams.reports.routes import METHODS
from streams.watchlist.entry import EntryError, parse_entry

# Decisions the view keeps for lookups: allow decisions are not kept (almost all traffic,
# and a payee that was only ever allowed has nothing to tell a fraud desk).
KEPT_DECISIONS = frozenset({"hold", "block"})


@dataclass(frozen=True)
class DecisionSeen:
    """A hold or block decision, for lookups, under the payee keys known so far."""

    member: str
    txn_id: str
    decision: str
    decided_at: str
    reasons: list[Json]
    keys: tuple[str, ...]


@dataclass(frozen=True)
class DecisionKeys:
    """More payee keys of a (possibly not yet read) decision, from its payment or alert."""

    member: str
    txn_id: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class PaymentSeen:
    """A payment, masked and with the payer as its ref, and its payee keys."""

    member: str
    txn_id: str
    document: Json
    keys: tuple[str, ...]


@dataclass(frozen=True)
class DecisionRead:
    """Any decision was read: its payment need not wait in the cache any longer."""

    member: str
    txn_id: str


@dataclass(frozen=True)
class EntryPut:
    """A watchlist entry (None: deleted) with its identifier keys."""

    entry_id: str
    document: Json | None
    keys: tuple[str, ...]
    at_ms: int


@dataclass(frozen=True)
class LinkPut:
    """A link of an identifier key to an entry (None: deleted)."""

    identifier: str
    entry_id: str
    document: Json | None


@dataclass(frozen=True)
class ProposalPut:
    """A proposal for the coalition (None: deleted)."""

    proposal_id: str
    document: Json | None


@dataclass(frozen=True)
class RouteSeen:
    """A hold or block's payment method and UTC day, from its DECISION alert (the routes
    report: how sellers move between payment systems)."""

    member: str
    txn_id: str
    decision: str
    method: str
    day: str


@dataclass(frozen=True)
class AuditAdded:
    """One audit record."""

    document: Json
    partition: int
    offset: int


Change = (
    HoldEvent
    | DecisionSeen
    | DecisionKeys
    | PaymentSeen
    | DecisionRead
    | EntryPut
    | LinkPut
    | ProposalPut
    | AuditAdded
    | RouteSeen
)


def changes_of(record: Record, payer_key: bytes | None = None) -> list[Change]:
    """Consumes one record of a topic the console reads; produces its changes to the view
    (none for a record it cannot use: a reader never stops on bad input)."""
    topic = record.topic
    try:
        value = orjson.loads(record.value) if record.value is not None else None
    except orjson.JSONDecodeError:
        value = None if topic != topics.WATCHLIST else {}
    if topic.startswith(topics.PAYMENTS_PREFIX):
        return _payment(record, payer_key)
    if value is not None and not isinstance(value, dict):
        return []
    if topic.startswith(topics.DECISIONS_PREFIX):
        return _decision(value)
    if topic.startswith(topics.RESOLUTIONS_PREFIX):
        return _resolution(value)
    if topic == topics.ALERTS:
        return _alert(value)
    if topic == topics.WATCHLIST:
        return _entry(record, value)
    if topic == topics.LINKS:
        return _link(record, value)
    if topic == topics.PROPOSALS:
        return _proposal(record, value)
    if topic == topics.AUDIT and value is not None:
        return audit_changes(value, record.partition, record.offset)
    return []


def _decision(value: Json | None) -> list[Change]:
    if value is None or not _ids(value):
        return []
    member, txn = value["member_id"], value["txn_id"]
    out: list[Change] = []
    decision = value.get("decision")
    if decision in KEPT_DECISIONS:
        key = value.get("payee_key")
        out.append(
            DecisionSeen(
                member,
                txn,
                str(decision),
                str(value.get("decided_at", "")),
                list(value.get("reasons") or []),
                (key,) if isinstance(key, str) else (),
            )
        )
    if decision == "hold":
        out.append(HoldEvent(member, txn, "decision", value))
    out.append(DecisionRead(member, txn))
    return out


def _payment(record: Record, payer_key: bytes | None) -> list[Change]:
    if record.value is None:
        return []
    try:
        document = orjson.loads(mask_payment(record.value))
    except orjson.JSONDecodeError:
        return []
    if not isinstance(document, dict) or not _ids(document):
        return []
    member = topics.member_of(record.topic)
    if member is None or document["member_id"] != member:
        return []
    payer = document.pop("payer", None)
    payer_id = payer.get("id") if isinstance(payer, dict) else None
    document["payer_ref"] = (
        payer_ref(member, payer_id, payer_key) if isinstance(payer_id, str) and payer_id else None
    )
    payee = document.get("payee")
    keys = payee_keys(payee) if isinstance(payee, dict) else ()
    txn = document["txn_id"]
    return [PaymentSeen(member, txn, document, keys)]


def payee_keys(payee: dict[str, Any]) -> tuple[str, ...]:
    """Index keys of a payee object (as sent or as decided), canonicalised as the engine
    does; names as `name:<variant>`."""
    try:
        canon = canonical_payee(payee)
    except (TypeError, ValueError):
        return ()
    keys = [probe.key for probe in canon.lookup_keys]
    keys += [index_key(k, v) for k, v in canon.identifiers.items() if k not in ("name", "url")]
    keys += [f"name:{variant}" for variant in canon.name_variants]
    return tuple(dict.fromkeys(keys))


def _alert(value: Json | None) -> list[Change]:
    if value is None or value.get("kind") != "DECISION" or not _ids(value):
        return []
    member, txn = value["member_id"], value["txn_id"]
    payee = value.get("payee") if isinstance(value.get("payee"), dict) else {}
    assert isinstance(payee, dict)
    out: list[Change] = [DecisionKeys(member, txn, payee_keys(payee))]
    route = _route(member, txn, value)
    if route is not None:
        out.append(route)
    if value.get("decision") == "hold":
        evidence = {
            k: value.get(k) for k in ("amount", "currency", "payee", "payer_ref", "method", "ts")
        }
        out.append(HoldEvent(member, txn, "alert", evidence))
    return out


def _route(member: str, txn: str, alert: Json) -> RouteSeen | None:
    decision, ts = alert.get("decision"), alert.get("ts")
    if decision not in KEPT_DECISIONS or not isinstance(ts, str):
        return None
    try:
        day = parse_timestamp(ts).astimezone(UTC).date().isoformat()
    except ValueError:
        return None
    method = alert.get("method") if alert.get("method") in METHODS else "other"
    return RouteSeen(member, txn, str(decision), str(method), day)


def _resolution(value: Json | None) -> list[Change]:
    if value is None or not _ids(value):
        return []
    return [HoldEvent(value["member_id"], value["txn_id"], "resolution", value)]


def _entry(record: Record, value: Json | None) -> list[Change]:
    entry_id = record.key.decode("utf-8", "replace") if record.key is not None else None
    if value is None:
        return [EntryPut(entry_id, None, (), record.timestamp_ms)] if entry_id else []
    if value.get("kind") == "override":
        return []
    try:
        entry = parse_entry(value)
    except EntryError:
        return []
    keys = [i.key for i in entry.identifiers]
    keys += [f"name:{canon}" for canon, _ in entry.names]
    return [EntryPut(entry.entry_id, value, tuple(dict.fromkeys(keys)), record.timestamp_ms)]


def _link(record: Record, value: Json | None) -> list[Change]:
    if value is None:
        identifier, _, entry_id = (record.key or b"").decode("utf-8", "replace").rpartition("|")
        return [LinkPut(identifier, entry_id, None)] if identifier else []
    key, entry = value.get("identifier"), value.get("entry_id")
    if not isinstance(key, str) or not isinstance(entry, str):
        return []
    return [LinkPut(key, entry, value)]


def _proposal(record: Record, value: Json | None) -> list[Change]:
    if value is None:
        key = record.key.decode("utf-8", "replace") if record.key else None
        return [ProposalPut(key, None)] if key else []
    proposal_id = value.get("proposal_id")
    if not isinstance(proposal_id, str):
        return []
    out: list[Change] = [ProposalPut(proposal_id, value)]
    member, txn = value.get("member_id"), value.get("txn_id")
    if isinstance(member, str) and isinstance(txn, str):
        out.append(HoldEvent(member, txn, "proposal", proposal_id))
    return out


def audit_changes(value: Json, partition: int, offset: int) -> list[Change]:
    """An audit record, and what it says about a hold (claim, pending, refusal, override)."""
    out: list[Change] = [AuditAdded(value, partition, offset)]
    hold = hold_target(value.get("target"))
    after = value.get("after") if isinstance(value.get("after"), dict) else {}
    assert isinstance(after, dict)
    if hold is None:
        return out
    member, txn = hold
    action = value.get("action")
    if action == "claim" and isinstance(value.get("user"), str):
        out.append(HoldEvent(member, txn, "claim", value["user"]))
    elif action == "resolution" and isinstance(after.get("pending"), dict):
        out.append(HoldEvent(member, txn, "pending", after["pending"]))
    elif action == "approval" and after.get("approve") is False:
        out.append(HoldEvent(member, txn, "refusal", after.get("pending_event")))
    elif action == "override" and isinstance(after.get("override"), dict):
        out.append(HoldEvent(member, txn, "override", after["override"]))
    return out


def hold_target(target: object) -> tuple[str, str] | None:
    """`member/txn_id` → (member, txn_id); None for any other target."""
    if not isinstance(target, str) or "/" not in target:
        return None
    member, _, txn = target.partition("/")
    if not member or not txn or not topics.PAYMENTS_TOPIC.match(topics.PAYMENTS_PREFIX + member):
        return None
    return member, txn


def _ids(value: Json) -> bool:
    return isinstance(value.get("member_id"), str) and isinstance(value.get("txn_id"), str)
