"""Lookup of one payee identifier: canonicalised as the engine does, and what each role
may see of the entries, links and decisions found. Pure functions over the view's rows.

A member's users see an entry's status, action, reference and first sighting, never which
member contributed it (the source shows as `coalition`) and never a sealed entry (only
"sealed: contact the coalition"). Links show another member's transaction to nobody but
coalition analysts and the member itself."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.console.hold_state import Json
from streams.console.roles import COALITION_ANALYST, Principal
from streams.model.canonical import IDENTIFIER_KINDS
from streams.model.payee import canonical_payee

SEALED_NOTE = "sealed: contact the coalition"
COALITION = "coalition"


class LookupError_(ValueError):
    """The value is not a valid identifier of that kind; the message says which."""


def lookup_keys(kind: str, value: str) -> tuple[str, list[str]]:
    """(canonical value, index keys to look for) of one identifier; LookupError_ when the
    kind is unknown or the value not valid for it."""
    if kind not in IDENTIFIER_KINDS:
        raise LookupError_(f"type: {kind!r} is not one of {', '.join(IDENTIFIER_KINDS)}")
    payee = canonical_payee({kind: value})
    canon = payee.identifiers.get(kind)
    if canon is None or payee.invalid:
        raise LookupError_(f"value: {value!r} is not a valid {kind}")
    if kind == "name":
        return canon, [f"name:{v}" for v in payee.name_variants]
    keys = [probe.key for probe in payee.lookup_keys]
    return canon, list(dict.fromkeys(keys))


def entry_view(entry: Json, first_seen_ms: int, principal: Principal) -> Json:
    """What the principal may see of one entry."""
    analyst = principal.role == COALITION_ANALYST
    if entry.get("visibility") == "sealed" and not analyst:
        return {"sealed": True, "status": SEALED_NOTE}
    view: Json = {
        "entry_id": entry.get("entry_id"),
        "status": entry.get("status"),
        "action": entry.get("action"),
        "reference": entry.get("reference"),
        "first_seen": datetime.fromtimestamp(first_seen_ms / 1000, UTC).isoformat(),
        "expires_at": entry.get("expires_at"),
        "source": entry.get("source") if analyst else COALITION,
    }
    if analyst:
        view["visibility"] = entry.get("visibility", "normal")
        view["entry"] = entry
    return view


def link_view(link: Json, principal: Principal, sealed_entries: set[str]) -> Json | None:
    """What the principal may see of one link (None: nothing, a sealed entry's link for a
    member role)."""
    analyst = principal.role == COALITION_ANALYST
    entry_id = link.get("entry_id")
    if not analyst and entry_id in sealed_entries:
        return None
    view = {
        k: link.get(k)
        for k in ("identifier", "type", "value", "entry_id", "status", "count", "method")
    }
    view["first_seen"] = link.get("first_seen")
    view["last_seen"] = link.get("last_seen")
    own = principal.member is not None and link.get("first_member") == principal.member
    if analyst or own:
        view["first_member"] = link.get("first_member")
        view["first_txn"] = link.get("first_txn")
    return view


def decision_view(decision: Json) -> Json:
    """One of the member's own decisions, contributors named `coalition`."""
    reasons = [
        {**r, "source": COALITION} if isinstance(r, dict) and "source" in r else r
        for r in decision.get("reasons") or []
    ]
    return {**decision, "reasons": reasons}
