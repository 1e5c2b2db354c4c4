"""The queue and the hold page's facts, from the desk's hold documents: pure functions
(filters, the row each hold shows, the signature that tells the page something changed,
the hold `Next` picks, the payee's other holds)."""

from __future__ import annotations

import hashlib
from typing import Any

from streams.console.pages.render import PAYEE_ORDER
from streams.console.reason_codes import REASON_CODES

Hold = dict[str, Any]
STATUSES = ("open", "resolved", "all")
ENGINE_REASONS = (
    "WATCHLIST_MATCH", "WATCHLIST_SEALED", "WATCHLIST_NAME_MATCH", "WATCHLIST_LINK",
    "VELOCITY", "INTERNAL_ERROR",
)  # fmt: skip
OUTCOME_LABELS = {"release": "Release", "block": "Block"}


def reason_codes(hold: Hold) -> list[str]:
    """The engine's reason codes of a hold, in the order it gave them."""
    return [str(r.get("code")) for r in hold.get("reasons") or [] if isinstance(r, dict)]


def with_reason(holds: list[Hold], reason: str | None) -> list[Hold]:
    """The holds with `reason` among their reasons (all when None or empty)."""
    if not reason:
        return holds
    return [h for h in holds if reason in reason_codes(h)]


def queue_row(hold: Hold, sla_s: float) -> Hold:
    """What the queue shows of one hold."""
    codes = reason_codes(hold)
    age = float(hold.get("age_s") or 0.0)
    amount = hold.get("amount")
    return {
        "member": hold.get("member_id"),
        "txn_id": hold.get("txn_id"),
        "age_s": age,
        "past_sla": hold.get("status") != "resolved" and age > sla_s,
        "amount": f"{amount} {hold.get('currency') or ''}".strip() if amount else "—",
        "payee": hold.get("payee") or {},
        "top_reason": codes[0] if codes else "—",
        "more_reasons": len(codes) - 1 if codes else 0,
        "status": hold.get("status"),
        "claimed_by": hold.get("claimed_by"),
    }


def signature(holds: list[Hold]) -> str:
    """A short digest of what the queue lists (ids, status, claimer): it changes when a
    hold arrives, leaves, or is claimed, not when holds merely age."""
    digest = hashlib.sha256()
    for hold in holds:
        for part in (hold.get("member_id"), hold.get("txn_id"), hold.get("status")):
            digest.update(f"{part}\0".encode())
        digest.update(f"{hold.get('claimed_by')}\n".encode())
    return digest.hexdigest()[:16]


def next_unclaimed(holds: list[Hold]) -> Hold | None:
    """The oldest open hold nobody has claimed (holds come oldest first)."""
    return next((h for h in holds if h.get("status") == "open" and not h.get("claimed_by")), None)


def identifiers(payee: Any) -> set[tuple[str, str]]:
    """(kind, lower-cased value) of a payee's identifiers, name included."""
    if not isinstance(payee, dict):
        return set()
    kinds = (*PAYEE_ORDER, "name")
    return {(k, str(payee[k]).strip().lower()) for k in kinds if payee.get(k)}


def payee_history(holds: list[Hold], hold: Hold) -> list[Hold]:
    """The member's other holds of the same payee (sharing any identifier), newest first."""
    mine = identifiers(hold.get("payee"))
    if not mine:
        return []
    same = [
        h
        for h in holds
        if h.get("txn_id") != hold.get("txn_id") and identifiers(h.get("payee")) & mine
    ]
    return list(reversed(same))


def reason_refusal(outcome: str, reason_code: str) -> str | None:
    """The message for a reason that does not belong to the button pressed (None: fine)."""
    if outcome not in REASON_CODES:
        return "Press Release or Block."
    if reason_code in REASON_CODES[outcome]:
        return None
    for other, codes in REASON_CODES.items():
        if reason_code in codes:
            return (
                f"{reason_code} is a reason to {other}, not to {outcome}: pick a "
                f"{OUTCOME_LABELS[outcome]} reason or press {OUTCOME_LABELS[other]}."
            )
    return "Pick a reason."
