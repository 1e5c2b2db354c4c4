"""A hold's state as the JSON documents the API answers with: pure functions.

Payer only as `payer_ref`, card numbers masked (again: the view stores payments masked, and
masking here covers whatever a topic carried), never another member's data (a hold belongs
to one member and shows only its own payment and history).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from streams.console.hold_state import HoldState, Json
from streams.console.reason_codes import FOUR_EYES_REASONS, RELEASE
from streams.model.card_masking import mask_card_numbers
from streams.model.payment import parse_timestamp

NAME_MATCH = "WATCHLIST_NAME_MATCH"


def masked_document(document: Json) -> Json:
    """A document with every card number in its strings masked."""
    result = masked(document)
    assert isinstance(result, dict)
    return result


def masked(value: Any) -> Any:
    """Any JSON value with every card number in its strings masked."""
    if isinstance(value, str):
        return mask_card_numbers(value)
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items() if k != "payer"}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def reasons_of(state: HoldState) -> list[Json]:
    """The engine's reasons for the hold."""
    reasons = (state.decision or {}).get("reasons") or []
    return [r for r in reasons if isinstance(r, dict)]


def needs_four_eyes(state: HoldState, outcome: str) -> bool:
    """True when releasing this hold needs a second person (a WATCHLIST_MATCH or
    WATCHLIST_SEALED reason)."""
    return outcome == RELEASE and any(r.get("code") in FOUR_EYES_REASONS for r in reasons_of(state))


def age_s(decided_at: str | None, now: datetime) -> float:
    """Seconds since the decision (0 when its time cannot be read)."""
    if not decided_at:
        return 0.0
    try:
        return max(0.0, (now - parse_timestamp(decided_at)).total_seconds())
    except ValueError:
        return 0.0


def hold_summary(state: HoldState, now: datetime | None = None) -> Json:
    """The hold as listed: ids, decision time, money, payee as decided, payer ref, reasons,
    status, age and who claimed it."""
    now = now or datetime.now(UTC)
    decision = state.decision or {}
    alert = state.alert or {}
    payment = state.payment or {}
    payee = alert.get("payee") if isinstance(alert.get("payee"), dict) else payment.get("payee")
    amount = alert.get("amount", payment.get("amount"))
    currency = alert.get("currency", payment.get("currency"))
    payer_ref = alert.get("payer_ref") or payment.get("payer_ref")
    return masked_document(
        {
            "txn_id": state.txn_id,
            "member_id": state.member,
            "decided_at": decision.get("decided_at"),
            "amount": None if amount is None else str(amount),
            "currency": currency,
            "payee": payee if isinstance(payee, dict) else {},
            "payer_ref": payer_ref if isinstance(payer_ref, str) else None,
            "reasons": reasons_of(state),
            "status": state.status,
            "age_s": round(age_s(decision.get("decided_at"), now), 3),
            "claimed_by": state.claimed_by,
        }
    )


def hold_detail(state: HoldState, history: list[Json], now: datetime | None = None) -> Json:
    """The hold with its history (audit records of it, oldest first), its payment as the
    member sent it, the pending resolution, the resolution and what flows back."""
    document = hold_summary(state, now)
    document["history"] = [
        {k: h.get(k) for k in ("at", "user", "action", "before", "after")} for h in history
    ]
    document["payment"] = masked(state.payment) if state.payment is not None else None
    document["pending"] = state.pending
    document["resolution"] = state.resolution
    document["decision"] = (state.decision or {}).get("decision")
    document["watchlist_version"] = (state.decision or {}).get("watchlist_version")
    document["proposal"] = state.proposal_id
    document["override_offer"] = override_offer(state)
    document["override"] = state.override
    return masked_document(document)


def override_offer(state: HoldState) -> Json | None:
    """The member-scoped false-positive override a FALSE_POSITIVE release of a name match
    offers (None otherwise, or once accepted): the entry and the payee's name."""
    resolution = state.resolution
    if resolution is None or state.override is not None:
        return None
    if resolution.get("outcome") != RELEASE or resolution.get("reason_code") != "FALSE_POSITIVE":
        return None
    matches = [r for r in reasons_of(state) if r.get("code") == NAME_MATCH and r.get("entry_id")]
    if not matches:
        return None
    name = _payee_name(state)
    if name is None:
        return None
    return {
        "entry_ids": sorted({str(r["entry_id"]) for r in matches}),
        "identifiers": [{"type": "name", "value": name}],
    }


def _payee_name(state: HoldState) -> str | None:
    for source in (state.payment, state.alert):
        payee = (source or {}).get("payee")
        if isinstance(payee, dict) and isinstance(payee.get("name"), str):
            return str(payee["name"])
    return None
