"""What flows back to the coalition, as documents: a confirmed seller's proposal (a
suspected entry with the hold as evidence), new routes from links, and a member's
false-positive override. Pure functions; the desk publishes what they build."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from streams.console.hold_documents import hold_summary
from streams.console.hold_state import HoldState, Json
from streams.console.reason_codes import BLOCK
from streams.model.canonical import IDENTIFIER_KINDS
from streams.model.payment import parse_timestamp
from streams.model.timestamps import iso

SELLER = "confirmed_seller"
ROUTE = "new_route"
OPEN, PROMOTED, DISMISSED = "open", "promoted", "dismissed"
_LINK_STATUS = {"linked": OPEN, "promoted": PROMOTED, "dismissed": DISMISSED}


def hold_digest(member: str, txn_id: str) -> str:
    """A short digest of a hold's ids: entry and proposal ids that name no member."""
    return hashlib.sha256(f"{member}/{txn_id}".encode()).hexdigest()[:16]


def wants_proposal(outcome: str, reason_code: str) -> bool:
    """A block for CONFIRMED_SELLER proposes the payee to the coalition."""
    return outcome == BLOCK and reason_code == "CONFIRMED_SELLER"


def live_entries(entries: list[Json], at: datetime) -> list[Json]:
    """The entries that are in force at `at` (not revoked, not expired)."""
    live = []
    for entry in entries:
        if entry.get("status") == "revoked":
            continue
        expires = entry.get("expires_at")
        try:
            if isinstance(expires, str) and expires and parse_timestamp(expires) <= at:
                continue
        except ValueError:
            pass
        live.append(entry)
    return live


def payee_identifiers(state: HoldState) -> list[dict[str, str]]:
    """The payee's identifiers as the member sent them (else as decided), as entry
    identifiers."""
    for source in (state.payment, state.alert):
        payee = (source or {}).get("payee")
        if isinstance(payee, dict):
            found = [
                {"type": kind, "value": payee[kind]}
                for kind in IDENTIFIER_KINDS
                if isinstance(payee.get(kind), str) and payee[kind].strip()
            ]
            if found:
                return found
    return []


def seller_proposal(
    state: HoldState, resolution: Json, proposer: str, now: datetime
) -> Json | None:
    """The proposal a CONFIRMED_SELLER block of an unlisted payee makes: a suspected entry
    of the payee, the hold as evidence; None when the payee has no identifier."""
    identifiers = payee_identifiers(state)
    if not identifiers:
        return None
    digest = hold_digest(state.member, state.txn_id)
    proposal_id = f"seller:{digest}"
    entry = {
        "entry_id": f"proposal-{digest}",
        "identifiers": identifiers,
        "action": BLOCK,
        "status": "suspected",
        "source": state.member,
        "reference": proposal_id,
        "notes": f"proposed by {proposer} ({state.member}) from a CONFIRMED_SELLER block",
    }
    evidence = hold_summary(state, now)
    evidence["resolution"] = resolution
    return {
        "proposal_id": proposal_id,
        "kind": SELLER,
        "status": OPEN,
        "member_id": state.member,
        "txn_id": state.txn_id,
        "proposer": proposer,
        "created_at": iso(now),
        "entry": entry,
        "evidence": evidence,
        "decided_by": None,
        "decided_at": None,
    }


def decided(proposal: Json, by: str, promote: bool, now: datetime) -> Json:
    """The proposal after a coalition analyst's promotion or dismissal."""
    return {
        **proposal,
        "status": PROMOTED if promote else DISMISSED,
        "decided_by": by,
        "decided_at": iso(now),
    }


def route_proposal(link: Json) -> Json:
    """A link (a confirmed seller's identifier seen beside it) as a new-route proposal."""
    identifier, entry_id = str(link.get("identifier")), str(link.get("entry_id"))
    return {
        "proposal_id": route_id(identifier, entry_id),
        "kind": ROUTE,
        "status": _LINK_STATUS.get(str(link.get("status", "linked")), OPEN),
        "proposer": None,
        "created_at": link.get("first_seen"),
        "identifier": {"type": link.get("type"), "value": link.get("value")},
        "entry_id": entry_id,
        "evidence": link,
        "decided_by": None,
        "decided_at": None,
        "note": link.get("note"),
    }


def route_id(identifier: str, entry_id: str) -> str:
    """The proposal id of the link of `identifier` to `entry_id`."""
    return f"route:{identifier}|{entry_id}"


def parse_route_id(proposal_id: str) -> tuple[str, str] | None:
    """(identifier key, entry id) of a route proposal id; None for another id."""
    if not proposal_id.startswith("route:") or "|" not in proposal_id:
        return None
    identifier, _, entry_id = proposal_id[len("route:") :].rpartition("|")
    return (identifier, entry_id) if identifier and entry_id else None


def override_request(offer: Json, member: str, by: str, resolution: Json) -> list[dict[str, Any]]:
    """The arguments of each override an accepted offer publishes (one per entry)."""
    return [
        {
            "member": member,
            "entry_id": entry_id,
            "identifiers": offer["identifiers"],
            "source": f"{member} fraud desk ({by})",
            "reason": f"FALSE_POSITIVE release of {resolution.get('txn_id')}",
        }
        for entry_id in offer["entry_ids"]
    ]
